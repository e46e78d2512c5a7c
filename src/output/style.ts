// Colours and symbols, with colour decided once per stream (see io.ts). chalk 5 ignores NO_COLOR
// on purpose, so the level comes from our own decision.
import { Chalk, type ChalkInstance } from 'chalk';
import type { IO } from './io.js';

export const symbols = { ok: '✓', fail: '✗', active: '●', inactive: '○', arrow: '→', warn: '!' } as const;

/** A chalk instance for stdout (or stderr) honouring our colour decision. */
export function paint(io: IO, stream: 'out' | 'err' = 'out'): ChalkInstance {
  return new Chalk({ level: (stream === 'out' ? io.color : io.colorErr) ? 1 : 0 });
}

/** `✓ message` — the success line of a mutation. */
export function successLine(io: IO, message: string): string {
  return `${paint(io).green(symbols.ok)} ${message}`;
}
