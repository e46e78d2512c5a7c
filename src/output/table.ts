// Tables: cli-table3 with UPPERCASE headers on a TTY; plain tab-separated rows otherwise.
import Table from 'cli-table3';
import type { IO } from './io.js';
import { paint } from './style.js';
import { escapeControl } from './text.js';

const STYLED = Symbol('styled');

/** A cell this CLI formatted itself (colour codes included): printed as is. */
export interface Styled {
  readonly [STYLED]: string;
}

/** Marks text whose only control characters are our own colour codes (any data in it must be escaped already). */
export function styled(text: string): Styled {
  return { [STYLED]: text };
}

export type Cell = string | number | boolean | null | undefined | Styled;

// Cells hold data (names, descriptions, commands): a stored control character must neither act on
// the terminal nor split a tab-separated row.
function plain(c: Cell): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'object') return c[STYLED];
  return escapeControl(String(c));
}

/** Renders rows under headers: a borderless aligned table on a TTY, TSV when piped. */
export function renderTable(io: IO, headers: string[], rows: Cell[][]): string {
  if (!io.stdoutIsTTY) {
    // Scripts (like gh): one row per line, tab-separated, no header, no ANSI.
    return rows.map((r) => r.map(plain).join('\t')).join('\n');
  }
  const c = paint(io);
  const table = new Table({
    head: headers.map((h) => c.bold(h.toUpperCase())),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    // Empty style arrays: cli-table3 would otherwise colour headers/borders even with colour off.
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) table.push(r.map(plain));
  return table.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}

/** Writes a table to stdout, or a friendly line when it is empty (TTY only; scripts get nothing). */
export function printTable(io: IO, headers: string[], rows: Cell[][], empty: string): void {
  if (rows.length === 0) {
    if (io.stdoutIsTTY) io.out(paint(io).dim(empty));
    return;
  }
  io.out(renderTable(io, headers, rows));
}

/** Key/value pairs, aligned (TTY) or tab-separated (piped). */
export function renderKeyValues(io: IO, pairs: [string, Cell][]): string {
  if (!io.stdoutIsTTY) return pairs.map(([k, v]) => `${k}\t${plain(v)}`).join('\n');
  const width = Math.max(...pairs.map(([k]) => k.length));
  const c = paint(io);
  return pairs.map(([k, v]) => `${c.dim(k.padEnd(width))}  ${plain(v)}`).join('\n');
}
