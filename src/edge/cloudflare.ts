// Edge mode `cloudflare`: one proxied A record per hostname × proxy IP, via the Cloudflare API v4.
// Cloudflare's edge health-checks the origins and fails over; we only keep the record set exact.
import { isIPv4 } from 'node:net';
import * as z from 'zod';
import { resolveEdgeDeps, type EdgeDeps } from './deps.js';
import { normalizeHostnames, requireProxies } from './records.js';
import { EdgeError, type EdgeDriver, type EdgeErrorKind, type EdgeProxy, type EdgePublishResult, type EdgeRecord } from './types.js';
import { backoffCeiling, retryAfterMs } from '../retry.js';

export interface CloudflareConfig {
  clusterName: string;
  zoneId: string;
  apiToken: string;
  /** Default https://api.cloudflare.com/client/v4; tests point it at a local fake. */
  baseUrl?: string;
  /** Retries of one request after 429/502/503/504 (default 5). */
  maxRetries?: number;
  /** Upper bound on the total time spent waiting between retries of one request (default 120 s). */
  maxRetryWaitMs?: number;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
}

export const CLOUDFLARE_BASE_URL = 'https://api.cloudflare.com/client/v4';
const MAX_PAGES = 100;
const PER_PAGE = 100;
// Cloudflare error codes that mean "this token is not allowed", whatever the HTTP status.
const AUTH_CODES = new Set([6003, 6111, 9103, 9106, 9109, 10000, 10001]);
// What the codes we meet mean, in our words: an error shows the provider's codes, never its text.
const CODE_TEXT: Record<number, string> = {
  1004: 'DNS validation error',
  6003: 'invalid request headers',
  6111: 'invalid Authorization header',
  7003: 'no such object (check the zone id)',
  9103: 'unknown credentials',
  9106: 'missing credentials',
  9109: 'the token may not do this',
  10000: 'authentication error',
  10001: 'authentication error',
  81053: 'a record with that name already exists',
  81057: 'the record already exists',
  81058: 'an identical record already exists',
};

const cfMessage = z.object({ code: z.number().optional(), message: z.string().optional() });
const envelope = z.object({
  success: z.boolean(),
  errors: z.array(cfMessage).nullish(),
  messages: z.array(z.unknown()).nullish(),
  result: z.unknown(),
  result_info: z.object({ page: z.number().optional(), total_pages: z.number().optional() }).nullish(),
});
type Envelope = z.infer<typeof envelope>;
const dnsRecord = z.object({ id: z.string(), type: z.string(), name: z.string(), content: z.string(), proxied: z.boolean().optional() });
type DnsRecord = z.infer<typeof dnsRecord>;
const zoneResult = z.object({ id: z.string(), name: z.string(), status: z.string().optional() });

/** The Cloudflare edge driver. */
export function createCloudflareDriver(config: CloudflareConfig, deps: EdgeDeps = {}): EdgeDriver {
  const d = resolveEdgeDeps(deps, [config.apiToken]);
  const base = (config.baseUrl ?? CLOUDFLARE_BASE_URL).replace(/\/+$/, '');
  const maxRetries = config.maxRetries ?? 5;
  const maxRetryWaitMs = config.maxRetryWaitMs ?? 120_000;
  const timeoutMs = config.requestTimeoutMs ?? 30_000;
  const zonePath = `/zones/${encodeURIComponent(config.zoneId)}`;
  const comment = `ownstack cluster ${config.clusterName}`;
  let zoneName: string | undefined;
  // Cloudflare error codes of the errors we raised, for the few callers that react to one.
  const errorCodes = new WeakMap<EdgeError, number[]>();

  function fail(message: string, kind: EdgeErrorKind, hint?: string): EdgeError {
    return new EdgeError(d.redact(message), kind, hint === undefined ? undefined : d.redact(hint));
  }

  /** One API call: retries 429 (honouring Retry-After) and 502/503/504, checks `success` always. */
  async function call(method: string, path: string, query?: Record<string, string>, body?: unknown): Promise<Envelope> {
    const url = `${base}${path}${query ? `?${new URLSearchParams(query).toString()}` : ''}`;
    const what = `${method} ${path}`;
    let waited = 0;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      let res: Response;
      try {
        res = await d.fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${config.apiToken}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(timeoutMs),
          dispatcher: d.dispatcher(),
        });
      } catch (err) {
        // Only reads are retried after a transport error: a write may have landed.
        const wait = backoff(attempt);
        if (method === 'GET' && attempt < maxRetries && waited + wait <= maxRetryWaitMs) {
          d.log.warn(`cloudflare: ${what} failed (${errorText(err)}); retrying in ${wait} ms`);
          await d.sleep(wait);
          waited += wait;
          continue;
        }
        throw fail(`Cloudflare API unreachable (${what}): ${errorText(err)}`, 'unavailable', `check the network path to ${base}`);
      }
      if (res.status === 429 || res.status === 502 || res.status === 503 || res.status === 504) {
        const wait = retryAfterMs(res.headers.get('retry-after'), d.now()) ?? backoff(attempt);
        await res.body?.cancel().catch(() => undefined);
        if (attempt >= maxRetries || waited + wait > maxRetryWaitMs) {
          const why = res.status === 429 ? 'rate limited' : `HTTP ${res.status}`;
          throw fail(`Cloudflare API ${why} (${what}); gave up after ${attempt + 1} attempts`, 'unavailable', 'try again later; the next reconcile retries');
        }
        d.log.warn(`cloudflare: ${what} → HTTP ${res.status}; retrying in ${wait} ms`);
        await d.sleep(wait);
        waited += wait;
        continue;
      }
      const text = await res.text();
      let parsed: Envelope;
      try {
        parsed = envelope.parse(JSON.parse(text));
      } catch {
        throw fail(`Cloudflare API returned HTTP ${res.status} without a valid v4 envelope (${what})`, res.status >= 500 ? 'unavailable' : 'failed');
      }
      if (!res.ok || !parsed.success) throw envelopeError(res.status, parsed, what);
      return parsed;
    }
    // Unreachable: every attempt above returns, throws, or is followed by another within the bound.
    throw fail(`Cloudflare API gave no usable answer (${what})`, 'unavailable');
  }

  function envelopeError(status: number, env: Envelope, what: string): EdgeError {
    const errors = env.errors ?? [];
    const err = envelopeErrorFor(status, errors, what);
    errorCodes.set(err, errors.map((e) => e.code ?? 0));
    return err;
  }

  function envelopeErrorFor(status: number, errors: z.infer<typeof cfMessage>[], what: string): EdgeError {
    const detail =
      errors.map((e) => (e.code === undefined ? 'an error without a code' : `[${e.code}]${CODE_TEXT[e.code] ? ` ${CODE_TEXT[e.code]}` : ''}`)).join('; ') || 'no error code';
    const auth = status === 401 || status === 403 || errors.some((e) => e.code !== undefined && AUTH_CODES.has(e.code));
    if (auth) {
      return fail(`Cloudflare refused the API token (${what}): ${detail}`, 'auth', `check cloudflare_api_token: it needs Zone:Read and DNS:Edit on zone ${config.zoneId}`);
    }
    if (status === 404 && what.endsWith(zonePath)) {
      return fail(`Cloudflare zone ${config.zoneId} not found: ${detail}`, 'invalid', 'check cloudflare_zone_id (Zone ID on the zone overview page)');
    }
    const kind: EdgeErrorKind = status >= 500 ? 'unavailable' : status === 400 || status === 404 || status === 422 ? 'invalid' : 'failed';
    return fail(`Cloudflare API error (${what}, HTTP ${status}): ${detail}`, kind);
  }

  async function zone(): Promise<string> {
    if (zoneName !== undefined) return zoneName;
    const env = await call('GET', zonePath);
    const found = zoneResult.safeParse(env.result);
    if (!found.success) throw fail(`Cloudflare returned an unexpected zone object for ${config.zoneId}`, 'failed');
    if (found.data.status && found.data.status !== 'active') d.log.warn(`cloudflare: zone ${found.data.name} is ${found.data.status}, not active`);
    zoneName = found.data.name.toLowerCase();
    return zoneName;
  }

  function checkInZone(hostnames: string[], zname: string): void {
    // Cloudflare appends the zone to a name outside it (foo.other.com → foo.other.com.<zone>): refuse.
    const outside = hostnames.filter((h) => h !== zname && !h.endsWith(`.${zname}`));
    if (outside.length > 0) {
      throw fail(`hostname ${outside.join(', ')} is not in Cloudflare zone ${zname}`, 'invalid', 'use a zone that contains every cluster hostname');
    }
  }

  /** Every A record with exactly this name, following result_info.total_pages. */
  async function listA(hostname: string): Promise<DnsRecord[]> {
    const out: DnsRecord[] = [];
    let totalPages = 1;
    for (let page = 1; page <= totalPages; page++) {
      if (page > MAX_PAGES) throw fail(`Cloudflare listed more than ${MAX_PAGES} pages of A records for ${hostname}`, 'failed');
      const env = await call('GET', `${zonePath}/dns_records`, { type: 'A', name: hostname, per_page: String(PER_PAGE), page: String(page) });
      const list = z.array(dnsRecord).safeParse(env.result);
      if (!list.success) throw fail(`Cloudflare returned unexpected DNS records for ${hostname}`, 'failed');
      out.push(...list.data.filter((r) => r.type === 'A' && r.name.toLowerCase() === hostname));
      totalPages = env.result_info?.total_pages ?? 1;
    }
    return out;
  }

  /** Runs the writes in order; on the first failure throws with what was already applied. */
  async function runWrites(writes: (() => Promise<void>)[], result: EdgePublishResult): Promise<EdgePublishResult> {
    for (const write of writes) {
      try {
        await write();
      } catch (err) {
        if (err instanceof EdgeError) {
          err.partial = { ...result, added: [...result.added], removed: [...result.removed] };
          throw err;
        }
        throw err;
      }
    }
    return result;
  }

  async function publish(hostnames: string[], proxies: EdgeProxy[]): Promise<EdgePublishResult> {
    const hosts = normalizeHostnames(hostnames);
    requireProxies(proxies);
    const ips: string[] = [];
    for (const p of proxies) {
      if (!isIPv4(p.address)) {
        throw fail(`proxy address "${p.address}" is not an IPv4 address`, 'invalid', 'the cloudflare edge publishes proxied A records; give proxies public IPv4 addresses');
      }
      if (p.port !== 80 && p.port !== 443) d.log.warn(`cloudflare: proxy ${p.address} listens on ${p.port}; Cloudflare connects to origins on 80/443`);
      if (!ips.includes(p.address)) ips.push(p.address);
    }
    if (hosts.length === 0) return { added: [], removed: [], unchanged: 0, writes: 0 };
    checkInZone(hosts, await zone());

    const result: EdgePublishResult = { added: [], removed: [], unchanged: 0, writes: 0 };
    const adds: (() => Promise<void>)[] = [];
    const deletes: (() => Promise<void>)[] = [];
    const patches: (() => Promise<void>)[] = [];
    for (const hostname of hosts) {
      const current = await listA(hostname);
      const kept = new Set<string>();
      for (const rec of current) {
        const wanted = ips.includes(rec.content) && !kept.has(rec.content);
        if (wanted) {
          kept.add(rec.content);
          result.unchanged++;
          // Same address but "DNS only": Cloudflare would neither proxy nor health-check it.
          if (rec.proxied === false) {
            patches.push(async () => {
              await call('PATCH', `${zonePath}/dns_records/${encodeURIComponent(rec.id)}`, undefined, { proxied: true });
              result.writes++;
            });
          }
          continue;
        }
        deletes.push(async () => {
          await call('DELETE', `${zonePath}/dns_records/${encodeURIComponent(rec.id)}`);
          result.writes++;
          result.removed.push({ hostname, type: 'A', value: rec.content });
          d.log.info(`cloudflare: deleted A ${hostname} → ${rec.content}`);
        });
      }
      for (const ip of ips) {
        if (kept.has(ip)) continue;
        adds.push(async () => {
          try {
            await call('POST', `${zonePath}/dns_records`, undefined, { type: 'A', name: hostname, content: ip, proxied: true, ttl: 1, comment });
          } catch (err) {
            // 81058 "identical record already exists": a retried POST whose first try landed.
            if (!(err instanceof EdgeError) || !errorCodes.get(err)?.includes(81058)) throw err;
            d.log.info(`cloudflare: A ${hostname} → ${ip} already exists`);
          }
          result.writes++;
          result.added.push({ hostname, type: 'A', value: ip });
          d.log.info(`cloudflare: created proxied A ${hostname} → ${ip}`);
        });
      }
    }
    // Create before delete: the hostname never has fewer origins than it needs.
    return runWrites([...adds, ...patches, ...deletes], result);
  }

  async function read(hostnames: string[]): Promise<EdgeRecord[]> {
    const out: EdgeRecord[] = [];
    for (const hostname of normalizeHostnames(hostnames)) {
      for (const r of await listA(hostname)) out.push({ hostname, type: 'A', value: r.content });
    }
    return out;
  }

  async function remove(hostnames: string[]): Promise<EdgePublishResult> {
    const result: EdgePublishResult = { added: [], removed: [], unchanged: 0, writes: 0 };
    const deletes: (() => Promise<void>)[] = [];
    for (const hostname of normalizeHostnames(hostnames)) {
      for (const rec of await listA(hostname)) {
        deletes.push(async () => {
          await call('DELETE', `${zonePath}/dns_records/${encodeURIComponent(rec.id)}`);
          result.writes++;
          result.removed.push({ hostname, type: 'A', value: rec.content });
          d.log.info(`cloudflare: deleted A ${hostname} → ${rec.content}`);
        });
      }
    }
    return runWrites(deletes, result);
  }

  return {
    mode: 'cloudflare',
    async verify() {
      zoneName = undefined;
      await zone();
    },
    publish,
    read,
    remove,
  };
}

const backoff = (attempt: number): number => backoffCeiling(attempt, 1000, 30_000);

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = cause && typeof cause === 'object' && 'code' in cause ? String((cause as { code: unknown }).code) : undefined;
    // fetch's "fetch failed" says nothing alone; a cause without a code still has a message.
    const detail = code ?? (cause instanceof Error && cause.message ? cause.message : undefined);
    return detail ? `${err.message} (${detail})` : err.message;
  }
  return String(err);
}
