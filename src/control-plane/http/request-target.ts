// The request target as the client sent it. Routing works on these raw segments: `new URL()`
// would collapse `..` and `%2e%2e` before routing, so `DELETE …/upstreams/..` would reach the
// cluster itself. A dot segment, an encoded slash or a control character is refused instead.
import { invalid } from '../http-error.js';

export interface RequestTarget {
  /** The path as sent, without the query and without trailing slashes ('/' stays '/'). */
  path: string;
  /** Each segment of `path`, percent-decoded. */
  segments: string[];
  query: URLSearchParams;
}

/** Most characters of a request target the server reads (Node refuses longer headers anyway). */
export const MAX_TARGET_CHARS = 8_192;

// C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Parses `req.url` (origin-form only); throws a 400 naming the problem. Parameters are checked once matched (checkPathParam). */
export function parseRequestTarget(raw: string): RequestTarget {
  if (raw.length > MAX_TARGET_CHARS) throw invalid(`the request path is longer than ${MAX_TARGET_CHARS} characters`, { field: 'path', rule: `at most ${MAX_TARGET_CHARS} characters` });
  if (!raw.startsWith('/') || raw.startsWith('//')) {
    throw invalid('the request target must be a path such as /api/clusters', { field: 'path', value: shorten(raw), rule: 'origin-form: starts with a single /' });
  }
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') || '/' : rawPath;
  const segments = path === '/' ? [] : path.slice(1).split('/').map((s) => decodeSegment(s));
  let query: URLSearchParams;
  try {
    query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  } catch {
    throw invalid('the query string is not valid', { field: 'query' });
  }
  return { path, segments, query };
}

function decodeSegment(raw: string): string {
  let s: string;
  try {
    s = decodeURIComponent(raw);
  } catch {
    throw invalid(`the path segment ${JSON.stringify(shorten(raw))} has a bad percent-encoding`, { field: 'path', value: shorten(raw), rule: 'percent-escapes are % and two hexadecimal digits of UTF-8' });
  }
  if (s === '.' || s === '..') {
    throw invalid(`the path segment ${JSON.stringify(raw)} is a dot segment: the server does not resolve . or .. in paths`, {
      field: 'path',
      value: raw,
      rule: 'no . or .. segments (written plainly or percent-encoded)',
      hint: 'check the variable that built the path: an empty or ".." id must not reach the request',
    });
  }
  if (raw === '') throw invalid('the path has an empty segment (//)', { field: 'path', rule: 'no empty segments' });
  return s;
}

function shorten(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** Refuses a decoded path parameter holding a slash (sent as %2F), a backslash or a control character. */
export function checkPathParam(name: string, value: string): void {
  if (value.includes('/') || value.includes('\\')) {
    throw invalid(`invalid ${name} ${JSON.stringify(shorten(value))} in the path: it holds a slash`, {
      field: name,
      value: shorten(value),
      rule: 'a name or id in a path has no / or \\ (not even percent-encoded as %2F or %5C)',
    });
  }
  if (CONTROL.test(value)) {
    throw invalid(`invalid ${name} in the path: it holds a control character`, { field: name, value: shorten(value), rule: 'no control characters in a path' });
  }
}

/** A boolean query parameter: absent → false; true/1/empty → true; false/0 → false; else 400. */
export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === 'false' || v === '0') return false;
  if (v === '' || v === 'true' || v === '1') return true;
  throw invalid(`invalid ${name} ${JSON.stringify(v)}: use true or false`, { field: name, value: v, rule: 'true or false' });
}
