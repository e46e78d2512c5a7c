// The deploy command runner (real `sh`) and the health gate (fake probe, counted sleeps).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.js';
import { createExec, describeExit } from '../../src/control-plane/service/deploy-exec.js';
import { waitHealthy, type ProbeFn } from '../../src/control-plane/service/deploy-health.js';
import { probeHttp } from '../../src/proxy/probe.js';

const exec = createExec(systemClock);
const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('deploy command', () => {
  test('runs under sh -c with the given env; every line of stdout and stderr is reported', async () => {
    const lines: string[] = [];
    const r = await exec({
      command: 'echo "deploying $OWNSTACK_APP to $OWNSTACK_MEMBER_ADDRESS"; echo oops >&2; printf "no newline"',
      env: { ...baseEnv, OWNSTACK_APP: 'web', OWNSTACK_MEMBER_ADDRESS: '127.0.0.1:4001' },
      timeoutMs: 10_000,
      onLine: (stream, line) => lines.push(`${stream}: ${line}`),
    });
    expect(r).toEqual({ exitCode: 0, signal: null, timedOut: false, startError: null });
    expect(lines.sort()).toEqual(['stderr: oops', 'stdout: deploying web to 127.0.0.1:4001', 'stdout: no newline']);
  });

  test('a non-zero exit is a failure with its code', async () => {
    const r = await exec({ command: 'exit 7', env: baseEnv, timeoutMs: 10_000, onLine: () => undefined });
    expect(describeExit(r, 10_000)).toBe('the deploy command exited with code 7');
  });

  test('the time limit stops the command and what it started in the foreground', async () => {
    const started = Date.now();
    const r = await exec({ command: 'sleep 30; echo never', env: baseEnv, timeoutMs: 300, onLine: () => undefined });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(describeExit(r, 300)).toBe('the deploy command did not finish within 300ms and was stopped');
  });

  test('a command that leaves a background process holding its output still finishes when the shell exits', async () => {
    const started = Date.now();
    const lines: string[] = [];
    const r = await exec({ command: 'echo started; (sleep 5; echo late) & exit 0', env: baseEnv, timeoutMs: 20_000, onLine: (_s, l) => lines.push(l) });
    expect(r.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(lines).toEqual(['started']);
  });

  test('a shutdown signal stops it', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('shutdown')), 200);
    const r = await exec({ command: 'sleep 30', env: baseEnv, timeoutMs: 60_000, signal: ac.signal, onLine: () => undefined });
    expect(r.signal).toBe('SIGTERM');
  });
});

describe('health gate', () => {
  const countingClock = (): Clock & { slept: number[] } => {
    const slept: number[] = [];
    return { slept, now: () => 0, sleep: async (ms) => void slept.push(ms) };
  };

  test('every address must pass once; passed addresses are not probed again', async () => {
    const calls: string[] = [];
    let round = 0;
    const probe: ProbeFn = async (o) => {
      calls.push(o.origin);
      const ok = o.origin.endsWith(':1') || round >= 2;
      return { ok, status: ok ? 200 : null, error: ok ? null : 'ECONNREFUSED', ms: 1 };
    };
    const clock = countingClock();
    const rounds: number[] = [];
    const out = await waitHealthy(
      { addresses: ['h:1', 'h:2'], path: '/up', host: 'api.example.com', intervalMs: 1000, timeoutMs: 200, attempts: 5 },
      { clock, probe, onRound: (n) => (rounds.push(n), round++) },
    );
    expect(out).toEqual({ ok: true, attempts: 3 });
    expect(calls).toEqual(['http://h:1', 'http://h:2', 'http://h:2', 'http://h:2']);
    expect(rounds).toEqual([1, 2]);
    expect(clock.slept).toEqual([1000, 1000]);
  });

  test('bounded: gives up after the attempts with the addresses still failing', async () => {
    const clock = countingClock();
    const out = await waitHealthy(
      { addresses: ['h:1'], path: '/', intervalMs: 500, timeoutMs: 100, attempts: 3 },
      { clock, probe: async () => ({ ok: false, status: 503, error: 'HTTP 503', ms: 1 }) },
    );
    expect(out).toEqual({ ok: false, attempts: 3, failing: [{ address: 'h:1', error: 'HTTP 503' }] });
    expect(clock.slept).toEqual([500, 500]);
  });

  test('with the real probe: path and Host header reach the member', async () => {
    const seen: string[] = [];
    const srv = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.host}`);
      res.writeHead(req.url === '/up' ? 200 : 404).end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const addr = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const out = await waitHealthy({ addresses: [addr], path: '/up', host: 'api.example.com', intervalMs: 10, timeoutMs: 1000, attempts: 2 }, { clock: systemClock, probe: probeHttp });
      expect(out.ok).toBe(true);
      expect(seen).toEqual(['/up api.example.com']);
    } finally {
      srv.close();
    }
  });
});
