// The server's typed failure: an HTTP status and the contract's error body (src/api/schemas.ts errorBody).
import type { ErrorBody } from '../api/schemas.js';
import { didYouMean } from './suggest.js';

export type ErrorCode = ErrorBody['error']['code'];
export type ErrorFields = Omit<ErrorBody['error'], 'code' | 'message'>;

/** Thrown by handlers and services; the HTTP layer answers with `status` and `{ error: body }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody['error'],
  ) {
    super(body.message);
    this.name = 'HttpError';
  }
}

/** 400: a value broke a rule (field = the JSON field or path parameter). */
export function invalid(message: string, fields: ErrorFields = {}): HttpError {
  return new HttpError(400, { code: 'invalid', message, ...fields });
}

/** 404 with did-you-mean candidates among `known`. */
export function notFound(what: string, wanted: string, known: Iterable<string>, fields: ErrorFields & { scope?: string } = {}): HttpError {
  const { scope, ...rest } = fields;
  const list = [...known];
  const candidates = didYouMean(wanted, list);
  const hint =
    candidates.length > 0
      ? `did you mean ${candidates.map((c) => JSON.stringify(c)).join(' or ')}?`
      : list.length === 0
        ? `there is no ${what} yet`
        : `known: ${list.slice(0, 10).join(', ')}${list.length > 10 ? ', …' : ''}`;
  return new HttpError(404, { code: 'not_found', message: `${what} ${JSON.stringify(wanted)} not found${scope ? ` in ${scope}` : ''}`, value: wanted, hint, candidates, ...rest });
}

/** 409: the request is valid but clashes with the current state. */
export function conflict(message: string, fields: ErrorFields = {}): HttpError {
  return new HttpError(409, { code: 'conflict', message, ...fields });
}
