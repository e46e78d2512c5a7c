// The pure parts of following a deploy: the SSE parser, the rollout reducer and the renderers.
import { describe, expect, it } from 'vitest';
import { parseSse } from '../../src/api/events.js';
import { applyEvent, applySnapshot, createTtyView, formatElapsed, formatEventLine, renderRolloutLines, rolloutFromDeploy, truncateLine } from '../../src/output/rollout.js';
import { bufferIO } from '../output/fake-io.js';
import { eventLog, finished, job } from './cli-harness.js';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  const enc = new TextEncoder();
  for (const p of parts) yield enc.encode(p);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('parseSse', () => {
  it('messages split across chunks, comments, CRLF, multi-line data, a last message without a blank line', async () => {
    const msgs = await collect(parseSse(chunks(': keep-alive\n\nid: 1\nev', 'ent: state\ndata: {"a":', '1}\n\nid: 2\r\ndata: x\r\ndata: y\r\n\r\n', 'data: tail')));
    expect(msgs).toEqual([
      { id: '1', event: 'state', data: '{"a":1}' },
      { id: '2', event: null, data: 'x\ny' },
      { id: null, event: null, data: 'tail' },
    ]);
  });

  it('multi-byte characters split between chunks', async () => {
    const bytes = new TextEncoder().encode('data: drain → deploy\n\n');
    const cut = bytes.indexOf(0x86); // inside "→"
    async function* two() {
      yield bytes.slice(0, cut);
      yield bytes.slice(cut);
    }
    expect((await collect(parseSse(two())))[0]!.data).toBe('drain → deploy');
  });
});

describe('rollout reducer', () => {
  const log = eventLog().state('queued').state('running').member('web-1', ['building']).step('web-2', 'draining', 'draining web-2');

  it('folds events into member steps, times and last output; repeated seqs change nothing', () => {
    let st = rolloutFromDeploy(job());
    for (const e of log.events) st = applyEvent(st, e);
    const again = log.events.reduce(applyEvent, st);
    expect(again).toBe(st);
    expect(st.state).toBe('running');
    expect(st.members.map((m) => m.step)).toEqual(['done', 'draining', 'pending']);
    expect(st.members[0]!.logs).toEqual(['building']);
    expect(st.members[0]!.finishedAt! - st.members[0]!.startedAt!).toBe(5_000);
    expect(st.lastSeq).toBe(log.events.length);
  });

  it('a snapshot wins for steps and errors but keeps the output seen so far', () => {
    let st = rolloutFromDeploy(job());
    for (const e of log.events) st = applyEvent(st, e);
    const snap = applySnapshot(st, finished('failed', ['done', 'failed', 'skipped'], 'web-2 failed'));
    expect(snap.members.map((m) => m.step)).toEqual(['done', 'failed', 'skipped']);
    expect(snap.members[0]!.logs).toEqual(['building']);
    expect(snap.error).toBe('web-2 failed');
  });
});

describe('renderers', () => {
  it('TTY lines: icon, order, app, step, time in step, last output; the job line', () => {
    const { io } = bufferIO(true, { NO_COLOR: '1' });
    let st = rolloutFromDeploy(job());
    for (const e of eventLog().state('running').member('web-1').step('web-2', 'deploying', 'x').log('web-2', 'npm install').events) st = applyEvent(st, e);
    const now = Date.parse('2026-01-15T10:00:12Z');
    expect(renderRolloutLines(st, now, 0, io, 'Ctrl-C detaches')).toEqual([
      '✓ 1/3 web-1  done                 4s',
      '⠋ 2/3 web-2  deploying            5s  npm install',
      '○ 3/3 web-3  pending',
      'deploy 12 running · 12s · Ctrl-C detaches',
    ]);
  });

  it('lines never exceed the terminal width (long output is cut with …)', () => {
    const { io } = bufferIO(true, { NO_COLOR: '1' });
    io.columns = 40;
    let st = rolloutFromDeploy(job());
    for (const e of eventLog().step('web-1', 'deploying').log('web-1', 'x'.repeat(200)).events) st = applyEvent(st, e);
    for (const l of renderRolloutLines(st, Date.parse('2026-01-15T10:00:05Z'), 3, io, null)) expect(l.replace(/\x1b\[[0-9;]*m/g, '').length).toBeLessThanOrEqual(39);
    expect(truncateLine('\x1b[2mabcdef\x1b[22m', 4)).toBe('\x1b[2mabc…\x1b[0m');
  });

  it('plain event lines and elapsed times', () => {
    const [state, step, logLine] = eventLog().state('running', 'started').step('web-1', 'draining', 'draining web-1').log('web-1', 'hello').events;
    expect([formatEventLine(state!), formatEventLine(step!), formatEventLine(logLine!)]).toEqual(['deploy 12: running - started', 'web-1: draining - draining web-1', 'web-1 | hello']);
    expect([formatElapsed(7_400), formatElapsed(75_000), formatElapsed(3_725_000)]).toEqual(['7s', '1m15s', '1h02m']);
  });
});

describe('the TTY view', () => {
  it('draws every step of every member at once, however quickly they follow each other; output lines are rate-limited', () => {
    const b = bufferIO(true);
    const log = eventLog().state('running');
    for (const step of ['draining', 'deploying', 'health-checking', 'undraining', 'done'] as const) log.step('web-2', step);
    for (let i = 0; i < 20; i++) log.log('web-2', `output ${i}`);
    const view = createTtyView(b.io, () => Date.parse('2026-01-15T10:00:30Z'), null);
    let st = rolloutFromDeploy(job());
    view.start(st);
    // Every event in the same millisecond: only step and state changes force a redraw.
    for (const e of log.events) {
      st = applyEvent(st, e);
      view.event(st, e);
    }
    view.stop(st, 'finished');
    const plain = b.err().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    for (const step of ['draining', 'deploying', 'health-checking', 'undraining', 'done']) expect(plain).toMatch(new RegExp(`2/3 web-2 {2}${step}`));
    // 20 output lines did not cause 20 redraws: start, 1 state + 5 steps, at most one more, stop.
    const redraws = (plain.match(/1\/3 web-1/g) ?? []).length;
    expect(redraws).toBeLessThanOrEqual(9);
    expect(redraws).toBeGreaterThanOrEqual(7);
  });
});

