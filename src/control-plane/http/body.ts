// Reading and validating a request body: the size cap, the JSON nesting cap, and the route's zod schema.
import type { IncomingMessage } from 'node:http';
import * as z from 'zod';
import type { ErrorDetails } from '../../errors.js';
import { issuePath, issueToDetails, secretFieldsOf } from '../../inputs/parse.js';
import { HttpError, invalid } from '../http-error.js';
import { didYouMean } from '../suggest.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/** Deepest nesting of arrays and objects a JSON body may have (the deepest request body has 3). */
export const MAX_JSON_DEPTH = 16;

/** Parses a JSON body: too deep a nesting and a syntax error are 400s that never quote the body. */
export function parseJsonBody(text: string): unknown {
  const depth = jsonDepthBeyond(text, MAX_JSON_DEPTH);
  if (depth) throw invalid(`the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, { field: 'body', rule: `a JSON object nested at most ${MAX_JSON_DEPTH} levels deep` });
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // The parser's message quotes the body (a secret, a forged log line): keep only the position.
    const at = /at position (\d+)/.exec((err as Error).message)?.[1];
    throw invalid(`the body is not valid JSON${at === undefined ? '' : ` (at character ${at})`}`, { field: 'body', rule: 'a JSON object' });
  }
}

/** True when `text` nests `[`/`{` deeper than `max` (strings skipped); one pass, no recursion. */
export function jsonDepthBeyond(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}


/** Reads the body up to `max` bytes (413 beyond). */
export function readBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > max) return Promise.reject(tooLarge(max));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > max) {
        failed = true;
        reject(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, { code: 'invalid', message: `the request body is larger than ${max / 1024 / 1024} MiB`, field: 'body', rule: `at most ${max} bytes` });
}

/** Top-level keys of an object schema (through optional/default wrappers), or null. */
function objectKeys(schema: z.ZodType): string[] | null {
  let s: unknown = schema;
  for (let i = 0; i < 5; i++) {
    if (s instanceof z.ZodObject) return Object.keys(s.shape);
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) s = (s as z.ZodOptional<z.ZodType>).unwrap();
    else return null;
  }
  return null;
}

/**
 * Validates a body with the route's schema; the first problem becomes the error body (field, value,
 * rule, hint). `describe` names issues its own way (a document's paths read `upstreams[3].app`) and
 * may put the likeliest cause first.
 */
export function validateBody(
  schema: z.ZodType,
  raw: unknown,
  describe?: { details: (issue: z.core.$ZodIssue) => ErrorDetails; order: (issues: readonly z.core.$ZodIssue[]) => z.core.$ZodIssue[] },
): unknown {
  const keys = objectKeys(schema);
  if (keys !== null && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const unknown = Object.keys(raw).filter((k) => !keys.includes(k));
    if (unknown.length > 0) {
      const k = unknown[0]!;
      const near = didYouMean(k, keys, 1);
      throw invalid(`unknown field ${JSON.stringify(k)}${near.length > 0 ? ` — did you mean ${near[0]}?` : ''}`, {
        field: k,
        rule: `not a field of this request (fields: ${keys.join(', ')})`,
        ...(near.length > 0 ? { hint: near[0]!, candidates: near } : {}),
      });
    }
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = describe ? describe.order(parsed.error.issues) : parsed.error.issues;
  const secrets = secretFieldsOf(schema);
  const all = issues.map((issue) => describe?.details(issue) ?? issueToDetails(issue, issuePath(issue) || 'body', raw, secrets));
  const first = all[0]!;
  throw new HttpError(400, {
    ...first,
    code: 'invalid',
    ...(all.length > 1 ? { details: { issues: all.map(({ field, value, rule, hint }) => ({ field, value, rule, hint })) } } : {}),
  });
}