import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_IMDS_ENDPOINT, looksLikeEc2, metadataEndpoint, readInstanceId } from '../../src/agent/instance-id.js';
import { heartbeatTimeoutFromEnv } from '../../src/control-plane/settings.js';
import { startImdsFake, type ImdsFake } from '../fakes/imds-server.js';

let imds: ImdsFake | undefined;
afterEach(async () => {
  await imds?.close();
  imds = undefined;
});

describe('the EC2 instance id from the instance metadata (IMDSv2)', () => {
  it('asks for a session token, then the id with it', async () => {
    imds = await startImdsFake('i-0123456789abcdef0');
    expect(await readInstanceId(imds.endpoint)).toBe('i-0123456789abcdef0');
    expect(imds.requests).toEqual(['PUT /latest/api/token', 'GET /latest/meta-data/instance-id']);
  });

  it('refuses an answer that is not an instance id', async () => {
    imds = await startImdsFake('<html>captive portal</html>');
    await expect(readInstanceId(imds.endpoint)).rejects.toThrow('the metadata service answered something that is not an instance id');
  });

  it('gives up after the timeout when the endpoint does not answer', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const started = Date.now();
    try {
      await expect(readInstanceId(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`, 300)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it('is asked only on EC2 or where the endpoint is set, never when switched off', () => {
    expect(metadataEndpoint({}, () => false)).toBeNull();
    expect(metadataEndpoint({}, () => true)).toBe(DEFAULT_IMDS_ENDPOINT);
    expect(metadataEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9999/' }, () => false)).toBe('http://127.0.0.1:9999');
    expect(metadataEndpoint({ AWS_EC2_METADATA_DISABLED: 'true', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9999' }, () => true)).toBeNull();
  });

  it('knows EC2 by its DMI vendor (Nitro) or its Xen UUID', () => {
    const files = (m: Record<string, string>) => (path: string) => m[path] ?? null;
    expect(looksLikeEc2(files({ '/sys/devices/virtual/dmi/id/sys_vendor': 'Amazon EC2\n' }))).toBe(true);
    expect(looksLikeEc2(files({ '/sys/hypervisor/uuid': 'ec2e1916-9099-7caf-fd21-012345abcdef\n' }))).toBe(true);
    expect(looksLikeEc2(files({ '/sys/devices/virtual/dmi/id/sys_vendor': 'QEMU\n' }))).toBe(false);
    expect(looksLikeEc2(files({}))).toBe(false);
  });
});

describe('OWNSTACK_PROXY_HEARTBEAT_TIMEOUT', () => {
  it('defaults to 15 s, takes a duration, refuses less than a second', () => {
    expect(heartbeatTimeoutFromEnv({})).toBe(15_000);
    expect(heartbeatTimeoutFromEnv({ OWNSTACK_PROXY_HEARTBEAT_TIMEOUT: '30s' })).toBe(30_000);
    expect(() => heartbeatTimeoutFromEnv({ OWNSTACK_PROXY_HEARTBEAT_TIMEOUT: '500ms' })).toThrow('invalid OWNSTACK_PROXY_HEARTBEAT_TIMEOUT "500ms": at least 1s');
    expect(() => heartbeatTimeoutFromEnv({ OWNSTACK_PROXY_HEARTBEAT_TIMEOUT: 'soon' })).toThrow('invalid OWNSTACK_PROXY_HEARTBEAT_TIMEOUT "soon"');
  });
});
