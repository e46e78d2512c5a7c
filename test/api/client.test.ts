// The API client: retries (connection errors, 429 + Retry-After, 502/503/504) with a fake clock,
// one Idempotency-Key per POST across attempts, bounded retry time, no retry on other errors,
// contract checks on responses, typed errors → exit codes, --verbose lines without the token.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EnvHttpProxyAgent } from 'undici';
import { ApiClient, backoffDelay, RETRY } from '../../src/api/client.js';
import { retryAfterMs } from '../../src/retry.js';
import { createDispatcher, fetchTransport } from '../../src/api/transport.js';
import { runCli } from '../../src/cli.js';
import { createIO } from '../../src/output/io.js';
import { AuthError, ConflictError, FailedError, NotFoundError, TimeoutError, UsageError } from '../../src/errors.js';
import { API, fakeClock, runOwnstack } from '../helpers/cli.js';
import { HttpResponse, apiError, contractServer, http, sampleCluster, sampleMember, samplePlan, url } from '../fixtures/contract.js';
import { passthrough } from 'msw';
import { closedPort } from '../helpers/net.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

function client(opts: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}) {
  const clock = fakeClock();
  const c = new ApiClient({ baseUrl: API, token: 'test-token', clock, random: () => 0.5, ...opts });
  return { c, clock };
}

/** Answers with each response in turn (the last one repeats). */
function sequence(responses: (() => Response)[]) {
  let i = 0;
  return () => responses[Math.min(i++, responses.length - 1)]!();
}

const clusters = () => HttpResponse.json({ clusters: [sampleCluster] });
const status = (s: number) => () => new HttpResponse(null, { status: s });
const memberMutation = () => HttpResponse.json({ result: sampleMember, plan: samplePlan });

describe('backoff helpers', () => {
  it('full-jitter exponential backoff, capped', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, () => 1))).toEqual([200, 400, 800, 1600, 3200, 4000, 4000]);
    expect(backoffDelay(3, () => 0)).toBe(0);
  });
  it('Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-15T10:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs('Thu, 15 Jan 2026 10:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('Thu, 15 Jan 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('1.5', now)).toBe(1500);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('retries', () => {
  it('GET: retries 502, 503 and 504 with backoff on the fake clock, then returns the parsed body', async () => {
    api.use(http.get(url('/api/clusters'), sequence([status(502), status(503), status(504), clusters])));
    const { c, clock } = client();
    const res = await c.call('clusterList');
    expect(res.clusters[0]!.name).toBe('api');
    expect(api.seen).toHaveLength(4);
    expect(clock.slept).toEqual([100, 200, 400]);
  });

  it.each([
    ['PUT', 'memberWeight', http.put, '/api/clusters/api/members/web/weight', { weight: 5 }],
    ['DELETE', 'memberRemove', http.delete, '/api/clusters/api/members/web', undefined],
  ] as const)('%s is retried too (and carries no Idempotency-Key)', async (method, name, verb, path, body) => {
    api.use(verb(url(path), sequence([status(503), memberMutation])));
    const { c, clock } = client();
    await c.call(name, { params: { cluster: 'api', app: 'web' }, body });
    expect(api.seen.map((s) => s.method)).toEqual([method, method]);
    expect(clock.slept).toEqual([100]);
  });

  it('POST: the same Idempotency-Key on every attempt; a new one for the next call', async () => {
    const keys: (string | null)[] = [];
    api.use(
      http.post(url('/api/clusters/api/members/web/drain'), ({ request }) => {
        keys.push(request.headers.get('idempotency-key'));
        return keys.length < 3 ? new HttpResponse(null, { status: 503 }) : memberMutation();
      }),
    );
    const { c } = client();
    await c.call('memberDrain', { params: { cluster: 'api', app: 'web' }, body: { dry_run: false } });
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    await c.call('memberDrain', { params: { cluster: 'api', app: 'web' }, body: { dry_run: false } });
    expect(keys[3]).not.toBe(keys[0]);
  });

  it('POST: a caller-chosen Idempotency-Key is used as is', async () => {
    const keys: (string | null)[] = [];
    api.use(
      http.post(url('/api/clusters/api/members/web/undrain'), ({ request }) => {
        keys.push(request.headers.get('idempotency-key'));
        return keys.length < 2 ? new HttpResponse(null, { status: 502 }) : memberMutation();
      }),
    );
    await client().c.call('memberUndrain', { params: { cluster: 'api', app: 'web' }, body: { dry_run: false }, idempotencyKey: 'k-123' });
    expect(keys).toEqual(['k-123', 'k-123']);
  });

  it('429: honours Retry-After (seconds) over the shorter backoff', async () => {
    api.use(http.get(url('/api/clusters'), sequence([() => new HttpResponse(null, { status: 429, headers: { 'retry-after': '3' } }), clusters])));
    const { c, clock } = client();
    await c.call('clusterList');
    expect(clock.slept).toEqual([3000]);
  });

  it('429 without Retry-After: the backoff', async () => {
    api.use(http.get(url('/api/clusters'), sequence([status(429), status(429), clusters])));
    const { c, clock } = client();
    await c.call('clusterList');
    expect(clock.slept).toEqual([100, 200]);
  });

  it('bounded: a Retry-After beyond the retry budget is not waited for', async () => {
    api.use(
      http.get(url('/api/clusters'), () =>
        HttpResponse.json({ error: { code: 'unavailable', message: 'slow down' } }, { status: 429, headers: { 'retry-after': '60' } }),
      ),
    );
    const { c, clock } = client({ maxRetryMs: 10_000 });
    await expect(c.call('clusterList')).rejects.toThrow(FailedError);
    expect(api.seen).toHaveLength(1);
    expect(clock.slept).toEqual([]);
  });

  it('bounded: the total sleep stays within maxRetryMs', async () => {
    api.use(http.get(url('/api/clusters'), status(503)));
    const { c, clock } = client({ maxRetryMs: 500 });
    await expect(c.call('clusterList')).rejects.toThrow(FailedError);
    expect(clock.slept).toEqual([100, 200]);
    expect(api.seen).toHaveLength(3);
  });

  it('bounded: at most maxAttempts attempts', async () => {
    api.use(http.get(url('/api/clusters'), status(502)));
    const { c, clock } = client({ maxAttempts: 5, maxRetryMs: 60_000 });
    await expect(c.call('clusterList')).rejects.toThrow(/HTTP 502/);
    expect(api.seen).toHaveLength(5);
    expect(clock.slept).toEqual([100, 200, 400, 800]);
  });

  it.each([
    [400, UsageError],
    [404, NotFoundError],
    [409, ConflictError],
    [500, FailedError],
  ])('no retry on HTTP %i', async (s, type) => {
    api.use(http.get(url('/api/clusters'), () => apiError(s, 'failed', `status ${s}`)));
    const { c, clock } = client();
    const err = await c.call('clusterList').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toBe(`status ${s}`);
    expect(api.seen).toHaveLength(1);
    expect(clock.slept).toEqual([]);
  });

  it('the defaults are the policy docs/cli.md states: 4 retries, waits of up to 0.2, 0.4, 0.8, 1.6 s, none after 15 s', async () => {
    expect(RETRY).toEqual({ attempts: 5, baseMs: 200, capMs: 4000, deadlineMs: 15_000 });
    const readme = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('up to 4 times, after a random wait of up to 0.2, 0.4, 0.8 and 1.6 s');
    expect(readme).toContain('an address that does not answer fails within about 3 s; no retry starts later than 15 s after the first attempt');
    // The longest waits (random = 1): 3 s in all, over 5 attempts.
    api.use(http.get(url('/api/clusters'), status(503)));
    const { c, clock } = client({ random: () => 1 });
    await expect(c.call('clusterList')).rejects.toThrow(/HTTP 503/);
    expect(api.seen).toHaveLength(5);
    expect(clock.slept).toEqual([200, 400, 800, 1600]);
  });

  it('connection refused (a real closed loopback port): retried, then a FailedError with a hint', async () => {
    const port = await closedPort();
    const base = `http://127.0.0.1:${port}`;
    api.use(http.get(`${base}/api/clusters`, () => passthrough()));
    const { c, clock } = client({ baseUrl: base, maxAttempts: 3 });
    const err = await c.call('clusterList').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedError);
    expect((err as FailedError).message).toMatch(new RegExp(`cannot reach the control plane at ${base} \\(.*ECONNREFUSED`));
    expect((err as FailedError).hint).toBe('check the URL and the network (`ownstack profile show` shows which control plane this command uses)');
    expect(api.seen).toHaveLength(3);
    expect(clock.slept).toEqual([100, 200]);
  });
});

describe('responses that break the contract', () => {
  it('malformed JSON → FailedError naming the endpoint and status', async () => {
    api.use(http.get(url('/api/clusters'), () => new HttpResponse('{"clusters": [', { status: 200, headers: { 'content-type': 'application/json' } })));
    const err = await client().c.call('clusterList').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedError);
    expect((err as Error).message).toBe('the control plane sent a response that is not JSON (GET /api/clusters, HTTP 200)');
  });

  it('schema mismatch → FailedError with the path of the first bad field and a version hint', async () => {
    api.use(http.get(url('/api/clusters'), () => HttpResponse.json({ clusters: [{ ...sampleCluster, edge: 'carrier-pigeon' }] })));
    const err = await client().c.call('clusterList').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedError);
    expect((err as Error).message).toMatch(/^the control plane's response to GET \/api\/clusters does not match the contract: clusters\.0\.edge: /);
    expect((err as FailedError).hint).toMatch(/different versions/);
  });

  it('an error status whose body is not the Error shape still maps by status', async () => {
    api.use(http.get(url('/api/clusters/:c'), () => HttpResponse.json({ detail: 'nope' }, { status: 404 })));
    const err = await client().c.call('clusterShow', { params: { c: 'x', cluster: 'x' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe('GET /api/clusters/:cluster failed with HTTP 404');
    api.use(http.get(url('/api/clusters'), () => new HttpResponse('', { status: 401 })));
    await expect(client().c.call('clusterList')).rejects.toBeInstanceOf(AuthError);
  });

  it('through the CLI: exit 1 and a readable message, not a stack trace', async () => {
    api.use(http.get(url('/api/clusters'), () => new HttpResponse('<html>502 Bad Gateway</html>', { status: 200 })));
    const r = await runOwnstack(['cluster', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: the control plane sent a response that is not JSON (GET /api/clusters, HTTP 200)\n');
    api.use(http.get(url('/api/clusters'), () => HttpResponse.json({ clusters: 'many' })));
    const m = await runOwnstack(['cluster', 'list']);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/^error: .*does not match the contract: clusters: .*\nhint: the CLI and the control plane may be different versions\n$/);
  });
});

describe('error bodies → typed errors → exit codes (through runOwnstack)', () => {
  it.each([
    [400, 'invalid', 2],
    [422, 'invalid', 2],
    [404, 'not_found', 3],
    [401, 'unauthorized', 4],
    [403, 'forbidden', 4],
    [409, 'conflict', 5],
    [408, 'timeout', 6],
    [504, 'timeout', 6],
    [500, 'internal', 1],
    [503, 'unavailable', 1],
  ])('HTTP %i (%s) → exit %i, message and hint on stderr, stdout empty', async (s, code, exit) => {
    api.use(http.get(url('/api/clusters'), () => apiError(s, code, `server says ${s}`, { hint: `fix ${s}` })));
    const r = await runOwnstack(['cluster', 'list']);
    expect(r.code).toBe(exit);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`error: server says ${s}\nhint: fix ${s}\n`);
   }, 5000); // 503/504 are retried first: the client must drain (not await cancel() of) a mocked body

  it('401 without a server hint suggests logging in', async () => {
    api.use(http.get(url('/api/clusters'), () => apiError(401, 'unauthorized', 'invalid token')));
    const r = await runOwnstack(['cluster', 'list']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('hint: run `ownstack login` (or set OWNSTACK_API_TOKEN)');
  });

  it('--json: the error body is also printed as one JSON line on stderr', async () => {
    api.use(http.get(url('/api/clusters'), () => apiError(404, 'not_found', 'gone', { candidates: ['api'] })));
    const r = await runOwnstack(['cluster', 'list', '--json']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr.split('\n')[0]!)).toEqual({ error: { code: 'not_found', message: 'gone', candidates: ['api'] } });
  });
});

/** Runs the CLI with the real client factory (transport, --verbose logger) and a fake clock. */
async function runReal(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const env = { OWNSTACK_API_URL: API, OWNSTACK_API_TOKEN: 'test-token', NO_COLOR: '1' };
  const io = createIO({
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    stdinIsTTY: false,
    env,
  });
  const prompt = { confirmName: async () => false, readSecret: async () => '' };
  const code = await runCli(argv, { env, io, clock: fakeClock(), prompt, signal: new AbortController().signal });
  return { code, stdout, stderr };
}

describe('--verbose and the token', () => {
  it('prints request and response lines with timings on stderr; the token never appears', async () => {
    const auth: (string | null)[] = [];
    api.use(
      http.get(url('/api/clusters'), ({ request }) => {
        auth.push(request.headers.get('authorization'));
        return auth.length < 2 ? new HttpResponse(null, { status: 503 }) : clusters();
      }),
    );
    const r = await runReal(['cluster', 'list', '--verbose']);
    expect(r.code).toBe(0);
    expect(auth).toEqual(['Bearer test-token', 'Bearer test-token']);
    const lines = r.stderr.split('\n');
    expect(lines).toContain('→ GET http://cp.test/api/clusters (authorization: Bearer ***)');
    expect(lines.some((l) => /^← 503 .*GET \/api\/clusters \d+ms$/.test(l))).toBe(true);
    expect(lines.some((l) => /^← 200 OK GET \/api\/clusters \d+ms$/.test(l))).toBe(true);
    expect(r.stderr).toMatch(/retrying in \d+ms \(attempt 2 of 5\)/);
    expect(r.stdout).toBe('api\tdns_rr\t2\tapi.example.com,app.example.com\tblue:100\t2\n');
    expect(r.stdout + r.stderr).not.toContain('test-token');
  });

  it('without --verbose: nothing on stderr', async () => {
    api.use(http.get(url('/api/clusters'), clusters));
    const r = await runReal(['cluster', 'list']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a POST shows its Idempotency-Key, not the token, and errors never echo the token', async () => {
    api.use(http.post(url('/api/clusters/api/members/web/drain'), () => apiError(401, 'unauthorized', 'invalid token')));
    const r = await runReal(['cluster', 'member', 'drain', 'api', 'web', '--verbose']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/→ POST http:\/\/cp\.test\/api\/clusters\/api\/members\/web\/drain \(authorization: Bearer \*\*\*\) idempotency-key=[0-9a-f-]{36}/);
    expect(r.stdout + r.stderr).not.toContain('test-token');
  });

  it('public endpoints are called without the token', async () => {
    let auth: string | null = 'unset';
    api.use(
      http.get(url('/api/health'), ({ request }) => {
        auth = request.headers.get('authorization');
        return HttpResponse.json({ ok: true, service: 'ownstack-control-plane', version: '0.1.0', pid: 1, state_dir: '/tmp/x' });
      }),
    );
    await client().c.call('health');
    expect(auth).toBeNull();
  });
});

describe('createDispatcher', () => {
  it('returns an undici EnvHttpProxyAgent (keep-alive, timeouts, http(s)_proxy/no_proxy)', async () => {
    const d = await createDispatcher();
    expect(d).toBeInstanceOf(EnvHttpProxyAgent);
    await (d as EnvHttpProxyAgent).close();
  });

  it('works as the fetch dispatcher (msw still intercepts)', async () => {
    api.use(http.get(url('/api/clusters'), clusters));
    const d = await createDispatcher();
    const c = new ApiClient({ baseUrl: API, token: 't', clock: fakeClock(), transport: fetchTransport(d) });
    expect((await c.call('clusterList')).clusters).toHaveLength(1);
    await (d as EnvHttpProxyAgent).close();
  });
});

describe('timeouts', () => {
  it('504 after the retries → TimeoutError (exit 6)', async () => {
    api.use(http.get(url('/api/clusters'), () => apiError(504, 'timeout', 'upstream timed out')));
    const { c } = client({ maxAttempts: 2 });
    await expect(c.call('clusterList')).rejects.toBeInstanceOf(TimeoutError);
    expect(api.seen).toHaveLength(2);
   }, 5000);
});
