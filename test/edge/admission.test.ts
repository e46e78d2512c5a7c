import { describe, expect, it } from 'vitest';
import { admitProxies, privateRange } from '../../src/edge/admission.js';

const proxy = (address: string, instanceId: string | null = null, name = `p-${address}`) => ({ name, address, port: 80, instanceId });

describe('privateRange', () => {
  it.each([
    ['127.0.0.2', '127.0.0.0/8 (loopback)'],
    ['10.1.2.3', '10.0.0.0/8 (private-use)'],
    ['172.16.0.1', '172.16.0.0/12 (private-use)'],
    ['172.31.255.255', '172.16.0.0/12 (private-use)'],
    ['192.168.1.1', '192.168.0.0/16 (private-use)'],
    ['169.254.169.254', '169.254.0.0/16 (link-local)'],
    ['100.64.0.1', '100.64.0.0/10 (shared (carrier-grade NAT))'],
    ['100.127.255.254', '100.64.0.0/10 (shared (carrier-grade NAT))'],
    ['0.0.0.0', '0.0.0.0/8 (unspecified)'],
    ['::1', '::1/128 (loopback)'],
    ['fd00::5', 'fc00::/7 (unique local)'],
    ['fc12:3456::1', 'fc00::/7 (unique local)'],
    ['fe80::1', 'fe80::/10 (link-local)'],
    ['febf::1', 'fe80::/10 (link-local)'],
    ['::ffff:10.0.0.1', '10.0.0.0/8 (private-use)'],
    ['::', '::/128 (unspecified)'],
  ])('%s is %s', (address, range) => {
    expect(privateRange(address)).toBe(range);
  });

  it.each(['198.51.100.10', '203.0.113.7', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '11.0.0.1', '2001:db8::10', 'fec0::1', '::ffff:203.0.113.7'])(
    '%s is public',
    (address) => {
      expect(privateRange(address)).toBeNull();
    },
  );
});

describe('admitProxies', () => {
  const mixed = [proxy('127.0.0.2'), proxy('198.51.100.10'), proxy('10.0.0.5'), proxy('203.0.113.20')];

  it('cloudflare and aws_alb (ip) refuse loopback and private-use addresses, naming the range and the flag', () => {
    for (const mode of ['cloudflare', 'aws_alb'] as const) {
      const { admitted, refused } = admitProxies(mixed, { mode, allowPrivate: false, albTargetType: 'ip' });
      expect(admitted.map((p) => p.address)).toEqual(['198.51.100.10', '203.0.113.20']);
      expect(refused.map((r) => r.address)).toEqual(['127.0.0.2', '10.0.0.5']);
      expect(refused[0]!.reason).toBe(
        `its public address 127.0.0.2 is in 127.0.0.0/8 (loopback): the ${mode} edge publishes public addresses only ` +
          '(start its agent with --public-address set to the address the internet reaches it on, or allow private addresses with ownstack cluster update <cluster> --edge-allow-private-addresses)',
      );
    }
  });

  it('the cluster setting lets them publish private addresses', () => {
    expect(admitProxies(mixed, { mode: 'cloudflare', allowPrivate: true }).refused).toEqual([]);
  });

  it('dns_rr writes what is registered (private DNS is legitimate)', () => {
    expect(admitProxies(mixed, { mode: 'dns_rr', allowPrivate: false }).admitted).toHaveLength(4);
  });

  it('an address that is not an IP is refused by every DNS-like edge', () => {
    const { refused } = admitProxies([proxy('proxy.example.com')], { mode: 'dns_rr', allowPrivate: true });
    expect(refused[0]!.reason).toContain('is not an IP address');
  });

  it('an aws_alb instance group needs an instance id; the address does not matter there', () => {
    const { admitted, refused } = admitProxies([proxy('10.0.0.5', 'i-0123456789abcdef0'), proxy('198.51.100.10', null, 'web-2')], {
      mode: 'aws_alb',
      allowPrivate: false,
      albTargetType: 'instance',
    });
    expect(admitted.map((p) => p.instanceId)).toEqual(['i-0123456789abcdef0']);
    expect(refused).toEqual([
      {
        name: 'web-2',
        address: '198.51.100.10',
        port: 80,
        reason:
          'the target group registers EC2 instances and this proxy has no instance id: start its agent with --instance-id, or on the EC2 instance itself (the agent reads the id from the instance metadata)',
      },
    ]);
  });
});
