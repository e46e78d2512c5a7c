// The JSON/table shape of one profile: the token only ever masked.
import { LOCAL_PROFILE, ProfileStore, type Profile } from '../../config/profiles.js';
import { NotFoundError } from '../../errors.js';
import { maskToken } from './credentials.js';

export interface ProfileView {
  name: string;
  /** null: the local control plane, started on demand. */
  api_url: string | null;
  /** Masked ("…abcd"), or null when none is stored. */
  token: string | null;
  active: boolean;
  local: boolean;
}

/** The profile every command would use now (by name only; does not check that it exists). */
export function activeProfileName(store: ProfileStore, env: NodeJS.ProcessEnv, flag?: string): string {
  return flag || env.OWNSTACK_PROFILE || store.activeName() || LOCAL_PROFILE;
}

export function viewOf(p: Profile, active: string): ProfileView {
  return { name: p.name, api_url: p.apiUrl, token: maskToken(p.token), active: p.name === active, local: false };
}

export function localView(active: string): ProfileView {
  return { name: LOCAL_PROFILE, api_url: null, token: null, active: active === LOCAL_PROFILE, local: true };
}

/** The stored profile called `name`, or exit 3 listing the known ones. */
export function requireProfile(store: ProfileStore, name: string): Profile {
  const p = store.get(name);
  if (p) return p;
  const known = [LOCAL_PROFILE, ...store.list().map((x) => x.name).filter((n) => n !== LOCAL_PROFILE)];
  throw new NotFoundError(`no profile named "${name}"`, {
    hint: `known profiles: ${known.join(', ')}`,
    details: { code: 'not_found', message: `no profile named "${name}"`, candidates: known },
  });
}
