// The Idempotency-Key header of a POST and the fingerprint of the request it names; the responses
// are kept by store/idempotency.ts.
import { createHash } from 'node:crypto';
import { invalid } from '../http-error.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The fingerprint of a request: method, path and the exact body bytes. */
export function requestHash(method: string, path: string, body: string): string {
  return createHash('sha256').update(method).update('\0').update(path).update('\0').update(body).digest('hex');
}

/** Checks the header value; undefined when the request has none. */
export function parseIdempotencyKey(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || !KEY.test(key)) {
    throw invalid(`invalid Idempotency-Key ${JSON.stringify(key ?? '')}: 1 to 255 printable ASCII characters without spaces`, {
      field: 'Idempotency-Key',
      value: key ?? '',
      rule: '1 to 255 printable ASCII characters without spaces (a UUID is typical)',
    });
  }
  return key;
}
