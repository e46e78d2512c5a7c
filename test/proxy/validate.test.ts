import { describe, expect, it } from 'vitest';
import { caddyAvailable, validateCaddyfile } from '../../src/proxy/validate.js';

const caddyVersion = await caddyAvailable();
const skipCaddy = caddyVersion === null && process.env.OWNSTACK_SKIP_CADDY === '1';

function requireCaddy(): void {
  if (caddyVersion === null) {
    throw new Error('caddy is not installed: install Caddy 2.6.2 (`apt-get install -y caddy`) or set OWNSTACK_SKIP_CADDY=1 to skip');
  }
}

describe('caddyAvailable', () => {
  it('is null when the binary cannot be run', async () => {
    expect(await caddyAvailable({ bin: '/nonexistent/caddy' })).toBeNull();
  });
});

describe('validateCaddyfile', () => {
  it('reports a missing binary instead of throwing', async () => {
    const result = await validateCaddyfile('http://:1234 {\n\trespond "x"\n}\n', {}, { bin: '/nonexistent/caddy' });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/could not run caddy/);
  });

  describe.skipIf(skipCaddy)('with caddy', () => {
    it('accepts a valid Caddyfile and substitutes the given env only', async () => {
      requireCaddy();
      const caddyfile = 'http://:1234 {\n\treverse_proxy {$UPSTREAMS}\n}\n';
      expect((await validateCaddyfile(caddyfile, { UPSTREAMS: '127.0.0.1:1 127.0.0.1:2' })).ok).toBe(true);
      // the mixed-scheme trap Caddy 2.6 refuses, which the bridges exist to avoid
      const mixed = await validateCaddyfile(caddyfile, { UPSTREAMS: 'http://127.0.0.1:1 https://example.org' });
      expect(mixed.ok).toBe(false);
    });

    it('rejects directives 2.6.2 does not parse', async () => {
      requireCaddy();
      const result = await validateCaddyfile('http://:1234 {\n\treverse_proxy 127.0.0.1:1 {\n\t\thealth_passes 2\n\t}\n}\n', {});
      expect(result.ok).toBe(false);
      expect(result.output).toContain('health_passes');
    });
  });
});
