// The live half of shell completion: names from the active profile's control plane (clusters,
// hostnames, variants, upstreams, members, apps, deploys) and profile names from disk.
// Never slow, never an error: one GET with a hard timeout, a short on-disk cache, and an empty
// answer whenever anything goes wrong. The API client's transport (node:http unless a proxy is
// set) and hand-checked JSON keep it cheap (no fetch, no zod). The local control plane is never
// started from here.
import { ProfileStore, resolveProfile, LOCAL_PROFILE } from '../config/profiles.js';
import { localPaths, readServerInfo, readToken } from '../local/files.js';
import { isAlive } from '../process.js';
import { cachePath, readCache, writeCache } from './cache.js';
import { defaultTransport } from '../api/transport.js';
import type { LiveRequest } from './engine.js';
import type { Candidate } from './protocol.js';

export interface LiveDeps {
  env: NodeJS.ProcessEnv;
  /** OWNSTACK_HOME. */
  home: string;
  now?: () => number;
}

/** Default hard timeout of one live lookup (OWNSTACK_COMPLETION_TIMEOUT_MS). */
export const DEFAULT_TIMEOUT_MS = 1_000;
/** Default cache lifetime in seconds (OWNSTACK_COMPLETION_TTL; 0 turns the cache off). */
export const DEFAULT_TTL_S = 10;

function numberFromEnv(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.trim().replace(/s$/, ''));
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

interface Target {
  profile: string;
  url: string;
  token: string | null;
}

/** Where live values come from: the profile's API, or a local control plane that already runs. */
function resolveTarget(flags: { profile?: string; apiUrl?: string }, deps: LiveDeps): Target | null {
  let profile;
  try {
    profile = resolveProfile(new ProfileStore(deps.home), deps.env, flags);
  } catch {
    return null; // an unknown profile: no live values
  }
  if (profile.local) {
    // Completion never starts the local control plane: use it only when server.json names a live one.
    const paths = localPaths(deps.home);
    const info = readServerInfo(paths);
    if (!info || !isAlive(info.pid)) return null;
    // A token from the environment with no URL is refused by every command (it is not the local one's).
    if (profile.token) return null;
    return { profile: profile.name, url: info.url, token: readToken(paths) };
  }
  if (!profile.apiUrl) return null;
  return { profile: profile.name, url: profile.apiUrl, token: profile.token };
}

type Json = Record<string, unknown>;
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null) : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const field = (body: unknown, key: string): unknown => (body && typeof body === 'object' ? (body as Json)[key] : undefined);

/** The resource a kind needs: its cache key and API path. */
function resourceFor(req: LiveRequest): { key: string; path: string } | null {
  const c = req.cluster ? encodeURIComponent(req.cluster) : null;
  switch (req.kind) {
    case 'cluster':
      return { key: 'clusters', path: '/api/clusters' };
    case 'app':
      return { key: 'apps', path: '/api/local/apps' };
    case 'hostname':
    case 'variant':
    case 'upstream':
    case 'member':
      return c ? { key: `cluster-${req.cluster}`, path: `/api/clusters/${c}` } : null;
    case 'deploy':
      return c ? { key: `deploys-${req.cluster}`, path: `/api/clusters/${c}/deploys` } : null;
    default:
      return null;
  }
}

const byValue = (a: Candidate, b: Candidate) => a.value.localeCompare(b.value);

/** Turns a response body into candidates for one kind. Unknown shapes give nothing. */
export function candidatesFrom(kind: LiveRequest['kind'], body: unknown): Candidate[] {
  switch (kind) {
    case 'cluster':
      return list(field(body, 'clusters'))
        .filter((c) => text(c.name))
        .map((c) => {
          const hosts = Array.isArray(c.hostnames) ? c.hostnames.filter((h): h is string => typeof h === 'string') : [];
          const shown = hosts.slice(0, 3).join(', ') + (hosts.length > 3 ? ` +${hosts.length - 3}` : '');
          return { value: text(c.name)!, description: [text(c.edge), shown].filter(Boolean).join(' · ') };
        })
        .sort(byValue);
    case 'hostname': {
      const ups = list(field(body, 'upstreams'));
      return list(field(body, 'domains'))
        .filter((d) => text(d.hostname))
        .map((d) => {
          const n = ups.filter((u) => u.hostname === d.hostname || u.hostname === null).length;
          return { value: text(d.hostname)!, description: `${n} upstream${n === 1 ? '' : 's'}` };
        })
        .sort(byValue);
    }
    case 'variant':
      return list(field(body, 'variants'))
        .filter((v) => text(v.name))
        .map((v) => ({
          value: text(v.name)!,
          description: [`weight ${text(v.weight) ?? '?'}`, text(v.status), v.routed === true ? 'routed' : undefined, text(v.description) || undefined].filter(Boolean).join(', '),
        }))
        .sort(byValue);
    case 'upstream':
      return list(field(body, 'upstreams'))
        .filter((u) => text(u.id))
        .sort((a, b) => Number(a.id) - Number(b.id))
        .map((u) => {
          const target = text(u.url) ?? (text(u.app) ? `app ${text(u.app)}` : '?');
          const variant = text(u.variant) ? `variant ${text(u.variant)}` : undefined;
          return { value: text(u.id)!, description: [target, variant, text(u.hostname) ?? 'every hostname'].filter(Boolean).join(' · ') };
        });
    case 'member':
      return list(field(body, 'members'))
        .filter((m) => text(m.app) && m.status !== 'removed')
        .map((m) => ({ value: text(m.app)!, description: [text(m.status), `weight ${text(m.weight) ?? '?'}`].filter(Boolean).join(', ') }))
        .sort(byValue);
    case 'app':
      return list(field(body, 'apps'))
        .filter((a) => text(a.name))
        .map((a) => ({ value: text(a.name)!, description: Array.isArray(a.addresses) ? a.addresses.filter((x) => typeof x === 'string').join(' ') : undefined }))
        .sort(byValue);
    case 'deploy':
      return list(field(body, 'deploys'))
        .filter((d) => text(d.id))
        .sort((a, b) => Number(b.id) - Number(a.id))
        .map((d) => ({ value: text(d.id)!, description: [text(d.state), text(d.strategy), text(d.created_at)].filter(Boolean).join(' ') }));
    default:
      return [];
  }
}

/** Profile names, read from disk (no network). */
function profileCandidates(deps: LiveDeps): Candidate[] {
  try {
    const store = new ProfileStore(deps.home);
    const active = store.activeName() ?? LOCAL_PROFILE;
    const stored = store.list().map((p) => ({ value: p.name, description: `${p.apiUrl ?? 'hosted'}${p.name === active ? ' (active)' : ''}` }));
    const local = stored.some((p) => p.value === LOCAL_PROFILE) ? [] : [{ value: LOCAL_PROFILE, description: `the local control plane${active === LOCAL_PROFILE ? ' (active)' : ''}` }];
    return [...local, ...stored].sort(byValue);
  } catch {
    return [];
  }
}

const isTimeout = (err: unknown) => ['TimeoutError', 'AbortError'].includes((err as { name?: string })?.name ?? '');

/** GETs one path with a hard deadline covering the headers and the body. */
async function getJson(target: Target, path: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'ownstack-cli (completion)' };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  const send = await defaultTransport(env);
  const res = await send(new URL(target.url + path), { method: 'GET', headers, signal });
  if (!res.ok) {
    void res.discard().catch(() => undefined); // not awaited: nothing more is needed from it
    throw new Error(`HTTP ${res.status}`);
  }
  return JSON.parse(await res.text());
}

/** Live candidates for a request; [] when the control plane is unknown, unreachable or slow. */
export async function liveCandidates(req: LiveRequest, flags: { profile?: string; apiUrl?: string }, deps: LiveDeps): Promise<Candidate[]> {
  if (req.kind === 'profile') return profileCandidates(deps);
  const resource = resourceFor(req);
  if (!resource) return [];
  const target = resolveTarget(flags, deps);
  if (!target) return [];
  const now = deps.now ?? Date.now;
  const ttlMs = numberFromEnv(deps.env.OWNSTACK_COMPLETION_TTL, DEFAULT_TTL_S) * 1000;
  const timeoutMs = numberFromEnv(deps.env.OWNSTACK_COMPLETION_TIMEOUT_MS, DEFAULT_TIMEOUT_MS);
  const path = cachePath(deps.home, target.profile, resource.key);

  const hit = readCache(path, target.url, ttlMs, now());
  if (hit) return hit.body === null ? [] : candidatesFrom(req.kind, hit.body);

  try {
    const body = await getJson(target, resource.path, timeoutMs, deps.env);
    if (ttlMs > 0) writeCache(path, { url: target.url, at: now(), body });
    return candidatesFrom(req.kind, body);
  } catch (err) {
    // A control plane that does not answer in time is remembered for the TTL, so the next Tabs
    // do not wait again. A refused connection or an error status is quick: not remembered.
    if (isTimeout(err) && ttlMs > 0) writeCache(path, { url: target.url, at: now(), body: null });
    return [];
  }
}
