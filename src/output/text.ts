// Stored text printed for a human: terminal control characters made visible, so a description or a
// command saved with ESC, CR or a newline can only print, never act on the terminal or split a row.
// JSON output needs none of this (JSON.stringify escapes them).
import { escapeControl } from '../control-chars.js';

export { escapeControl };

/** A copy of a JSON-like value with every string in it escaped (for views built from API responses). */
export function escapeControlDeep<T>(value: T): T {
  if (typeof value === 'string') return escapeControl(value) as T;
  if (Array.isArray(value)) return value.map((v) => escapeControlDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, escapeControlDeep(v)])) as T;
  }
  return value;
}
