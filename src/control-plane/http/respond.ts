// Writing the one JSON body every answer has, and mapping a thrown error to its status and body.
import type { ServerResponse } from 'node:http';
import type { ErrorBody } from '../../api/schemas.js';
import { HttpError } from '../http-error.js';

/** `s`, cut to `max` characters with an ellipsis. */
export function shortText(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The status and body of an error: an HttpError as thrown, a busy database 503, anything else 500. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) return { status: err.status, body: { error: err.body } };
  const code = (err as { code?: string })?.code;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return { status: 503, body: { error: { code: 'unavailable', message: 'the state database is busy (another process holds the write lock)', hint: 'retry in a moment' } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: `internal error: ${(err as Error)?.message ?? String(err)}`, hint: 'see server.log in the state folder' } } };
}

/** Sends `body` as JSON (no body for HEAD). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headOnly = false): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(headOnly ? undefined : text);
}
