// Profiles, compatible with OwnStack: ~/.ownstack/config holds the active profile and global
// settings; ~/.ownstack/profiles/<name> holds one profile's API URL and token.
import { ensurePrivateDir, existsSync, formatKeyValues, join, readdirSync, readKeyValueFile, rmSync, writePrivateFile } from './files.js';
import { NotFoundError, UsageError } from '../errors.js';

/** The implicit profile backed by the embedded local control plane. */
export const LOCAL_PROFILE = 'local';
export const HOSTED_API_URL = 'https://api.ownstack.org';

export interface Profile {
  name: string;
  apiUrl: string | null;
  token: string | null;
}

export interface ResolvedProfile {
  name: string;
  /** null: the local control plane, started on demand. */
  apiUrl: string | null;
  token: string | null;
  /** Where each value came from, for `profile show` and error hints. */
  source: { name: string; apiUrl: string; token: string };
  local: boolean;
  /**
   * Set when the profile has a token that is not used because the URL was overridden with
   * another one (--api-url, OWNSTACK_API_URL): a token goes only to its own profile's URL.
   * `others`: stored profiles whose URL is the override, to suggest.
   */
  withheld?: { profile: string; url: string; others: string[] };
}

/** True when two API URLs name the same control plane (case, default ports and trailing slashes aside). */
export function sameApiUrl(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      return new URL(u).href.replace(/\/+$/, '');
    } catch {
      return u.replace(/\/+$/, '');
    }
  };
  return norm(a) === norm(b);
}

const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Checks a profile name (it becomes a file name). */
export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(`invalid profile name "${name}": use lower case letters, digits, '-' or '_' (at most 63 characters)`);
  }
  return name;
}

/** Reads and writes profiles under one OWNSTACK_HOME. */
export class ProfileStore {
  constructor(readonly home: string) {}

  get configPath(): string {
    return join(this.home, 'config');
  }
  profilePath(name: string): string {
    return join(this.home, 'profiles', checkProfileName(name));
  }

  readConfig(): Record<string, string> {
    return readKeyValueFile(this.configPath) ?? {};
  }

  /** The active profile named in the config, or null. */
  activeName(): string | null {
    const cfg = this.readConfig();
    if (cfg.OWNSTACK_PROFILE) return cfg.OWNSTACK_PROFILE;
    // Legacy single-profile config: URL/token directly in ~/.ownstack/config.
    if (cfg.OWNSTACK_API_URL || cfg.OWNSTACK_API_TOKEN) return 'default';
    return null;
  }

  list(): Profile[] {
    const dir = join(this.home, 'profiles');
    const names = existsSync(dir) ? readdirSync(dir).filter((n) => PROFILE_NAME.test(n)).sort() : [];
    const out = names.map((n) => this.get(n)!).filter(Boolean);
    const cfg = this.readConfig();
    if (!names.includes('default') && (cfg.OWNSTACK_API_URL || cfg.OWNSTACK_API_TOKEN)) {
      out.unshift({ name: 'default', apiUrl: cfg.OWNSTACK_API_URL ?? null, token: cfg.OWNSTACK_API_TOKEN ?? null });
    }
    return out;
  }

  get(name: string): Profile | null {
    const kv = readKeyValueFile(this.profilePath(name));
    if (kv) return { name, apiUrl: kv.OWNSTACK_API_URL ?? null, token: kv.OWNSTACK_API_TOKEN ?? null };
    if (name === 'default') {
      const cfg = this.readConfig();
      if (cfg.OWNSTACK_API_URL || cfg.OWNSTACK_API_TOKEN) return { name, apiUrl: cfg.OWNSTACK_API_URL ?? null, token: cfg.OWNSTACK_API_TOKEN ?? null };
    }
    return null;
  }

  save(p: Profile): void {
    ensurePrivateDir(this.home);
    ensurePrivateDir(join(this.home, 'profiles'));
    writePrivateFile(
      this.profilePath(p.name),
      formatKeyValues({ OWNSTACK_API_URL: p.apiUrl ?? undefined, OWNSTACK_API_TOKEN: p.token ?? undefined }, `ownstack profile ${p.name}`),
    );
  }

  remove(name: string): void {
    const path = this.profilePath(name);
    if (!existsSync(path)) throw new NotFoundError(`no profile named "${name}"`, { hint: 'see `ownstack profile list`' });
    rmSync(path);
    if (this.activeName() === name) this.setActive(null);
  }

  /** Sets (or clears) the active profile, keeping other settings in the config file. */
  setActive(name: string | null): void {
    ensurePrivateDir(this.home);
    const cfg = this.readConfig();
    if (name) cfg.OWNSTACK_PROFILE = name;
    else delete cfg.OWNSTACK_PROFILE;
    writePrivateFile(this.configPath, formatKeyValues(cfg, 'ownstack settings'));
  }
}

/**
 * Resolves the profile for one command. Precedence: flag > environment > active profile >
 * the local control plane.
 */
export function resolveProfile(store: ProfileStore, env: NodeJS.ProcessEnv, flags: { profile?: string; apiUrl?: string }): ResolvedProfile {
  let name: string;
  let nameSource: string;
  if (flags.profile) [name, nameSource] = [flags.profile, '--profile'];
  else if (env.OWNSTACK_PROFILE) [name, nameSource] = [env.OWNSTACK_PROFILE, 'OWNSTACK_PROFILE'];
  else {
    const active = store.activeName();
    [name, nameSource] = active ? [active, `${store.configPath}`] : [LOCAL_PROFILE, 'default (nothing configured)'];
  }
  const stored = name === LOCAL_PROFILE ? null : store.get(name);
  if (name !== LOCAL_PROFILE && !stored && !flags.apiUrl && !env.OWNSTACK_API_URL) {
    const known = store.list().map((p) => p.name);
    throw new NotFoundError(`no profile named "${name}" (from ${nameSource})`, {
      hint: known.length ? `known profiles: ${[LOCAL_PROFILE, ...known].join(', ')}` : 'create one with `ownstack profile add <name> --token-stdin --api-url URL`, or use the local control plane (profile "local")',
      details: { code: 'not_found', message: `no profile named "${name}"`, candidates: [LOCAL_PROFILE, ...known] },
    });
  }
  const envToken = env.OWNSTACK_API_TOKEN || env.OWNSTACK_TOKEN || null;
  const override = flags.apiUrl || env.OWNSTACK_API_URL || null;
  const ownUrl = stored?.apiUrl || (name === LOCAL_PROFILE ? null : HOSTED_API_URL);
  const apiUrl = override || ownUrl;
  const urlSource = flags.apiUrl ? '--api-url' : env.OWNSTACK_API_URL ? 'OWNSTACK_API_URL' : stored?.apiUrl ? `profile ${name}` : apiUrl ? 'hosted default' : 'local control plane';
  // The profile's token is for the profile's URL only: never sent where an override points.
  const withheld = Boolean(!envToken && stored?.token && override && !(ownUrl && sameApiUrl(override, ownUrl)));
  const token = envToken ?? (withheld ? null : (stored?.token ?? null));
  const tokenSource = env.OWNSTACK_API_TOKEN
    ? 'OWNSTACK_API_TOKEN'
    : env.OWNSTACK_TOKEN
      ? 'OWNSTACK_TOKEN'
      : withheld
        ? `none (the token of profile ${name} is sent only to ${ownUrl})`
        : stored?.token
          ? `profile ${name}`
          : name === LOCAL_PROFILE
            ? 'local control plane'
            : 'none';
  return {
    name,
    apiUrl: apiUrl ? apiUrl.replace(/\/+$/, '') : null,
    token,
    source: { name: nameSource, apiUrl: urlSource, token: tokenSource },
    ...(withheld ? { withheld: { profile: name, url: ownUrl!, others: store.list().filter((p) => p.apiUrl && p.token && sameApiUrl(p.apiUrl, override!)).map((p) => p.name) } } : {}),
    local: name === LOCAL_PROFILE && !flags.apiUrl && !env.OWNSTACK_API_URL,
  };
}
