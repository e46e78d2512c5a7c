// One `caddy adapt` per generation: the JSON of replica 0 becomes replica i's by moving its
// listen and own-bridge addresses only.
import { describe, expect, it } from 'vitest';
import { rebindJson } from '../../src/proxy/runtime-caddy.js';

const json = JSON.stringify({
  admin: { disabled: true },
  apps: {
    http: {
      servers: {
        srv0: { listen: ['127.0.0.2:18080'], routes: [{ handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: '10.0.0.5:80' }, { dial: '127.0.0.2:20000' }] }] }] },
        srv1: { listen: ['127.0.0.2:20000'], routes: [{ handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: 'app.example.com:443' }] }] }] },
      },
    },
  },
});

describe('rebindJson', () => {
  it('moves the listen and bridge addresses to another replica and leaves the rest alone', () => {
    const out = JSON.parse(rebindJson(json, '127.0.0.2', '127.0.0.3', [18080, 20000])!);
    expect(out.apps.http.servers.srv0.listen).toEqual(['127.0.0.3:18080']);
    expect(out.apps.http.servers.srv1.listen).toEqual(['127.0.0.3:20000']);
    expect(out.apps.http.servers.srv0.routes[0].handle[0].upstreams.map((u: any) => u.dial)).toEqual(['10.0.0.5:80', '127.0.0.3:20000']);
    expect(out.apps.http.servers.srv1.routes[0].handle[0].upstreams[0].dial).toBe('app.example.com:443');
  });

  it('gives up (null: adapt that replica on its own) when the address appears anywhere else', () => {
    const withApp = json.replace('10.0.0.5:80', '127.0.0.2:3000');
    expect(rebindJson(withApp, '127.0.0.2', '127.0.0.3', [18080, 20000])).toBeNull();
    // A longer address that merely starts the same way is not the replica's.
    const similar = json.replace('10.0.0.5:80', '127.0.0.20:3000');
    expect(JSON.parse(rebindJson(similar, '127.0.0.2', '127.0.0.3', [18080, 20000])!).apps.http.servers.srv0.routes[0].handle[0].upstreams[0].dial).toBe('127.0.0.20:3000');
    expect(rebindJson(json, '127.0.0.2', '127.0.0.2', [18080])).toBe(json);
  });
});
