// The tokens besides the token file: operator tokens and agent tokens (one cluster each), stored
// as a SHA-256 hash, shown once.
import { createHash, randomBytes } from 'node:crypto';
import { now, type Store } from './store.js';

/** sha256 of a token, as stored. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The name of the token the local replicas' agents use. */
export const LOCAL_TOKEN_NAME = 'local replicas';

/** A row of agent_tokens with its cluster's name. */
export interface TokenRow {
  id: number;
  cluster_id: number | null;
  cluster: string | null;
  kind: 'operator' | 'agent';
  name: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Who a bearer token from the table is. */
export type TokenIdentity = { kind: 'operator' } | { kind: 'agent'; clusterId: number; local: boolean };

const SELECT_ROW = 'SELECT t.id, t.cluster_id, c.name AS cluster, t.kind, t.name, t.created_at, t.last_used_at, t.revoked_at FROM agent_tokens t LEFT JOIN clusters c ON c.id = t.cluster_id';

/** Tokens: stored hashed, shown once. */
export class AgentTokens {
  constructor(private readonly store: Store) {}

  /** Creates a token for a cluster's agents; returns the token (only now) and its id. */
  create(clusterId: number, name: string): { id: number; token: string } {
    return this.createNamed('agent', clusterId, name);
  }

  /** A token of either kind (clusterId null: an operator token); returns the secret (only now) and its id. */
  createNamed(kind: 'operator' | 'agent', clusterId: number | null, name: string): { id: number; token: string } {
    const token = newToken();
    const { lastInsertRowid } = this.store.run('INSERT INTO agent_tokens (cluster_id, kind, name, hash, created_at) VALUES (?, ?, ?, ?, ?)', clusterId, kind, name, tokenHash(token), now());
    return { id: lastInsertRowid, token };
  }

  list(): TokenRow[] {
    return this.store.all<TokenRow>(`${SELECT_ROW} ORDER BY t.id`);
  }

  byId(id: number): TokenRow | undefined {
    return this.store.get<TokenRow>(`${SELECT_ROW} WHERE t.id = ?`, id);
  }

  /** The id of a token not revoked with this kind, cluster and name, if any. */
  activeNamed(kind: 'operator' | 'agent', clusterId: number | null, name: string): number | undefined {
    return this.store.get<{ id: number }>('SELECT id FROM agent_tokens WHERE name = ? AND kind = ? AND cluster_id IS ? AND revoked_at IS NULL', name, kind, clusterId)?.id;
  }

  revoke(id: number): void {
    this.store.run('UPDATE agent_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', now(), id);
  }

  /** Who a (not revoked) token is, or null. */
  identify(secret: string): TokenIdentity | null {
    const row = this.store.get<{ cluster_id: number | null; kind: 'operator' | 'agent'; name: string }>('SELECT cluster_id, kind, name FROM agent_tokens WHERE hash = ? AND revoked_at IS NULL', tokenHash(secret));
    if (!row) return null;
    if (row.kind === 'operator') return { kind: 'operator' };
    return row.cluster_id === null ? null : { kind: 'agent', clusterId: row.cluster_id, local: row.name === LOCAL_TOKEN_NAME };
  }

  /** The cluster a (not revoked) agent token belongs to, or null; `local`: the local replicas' token. */
  clusterOf(token: string): { clusterId: number; local: boolean } | null {
    const who = this.identify(token);
    return who?.kind === 'agent' ? { clusterId: who.clusterId, local: who.local } : null;
  }

  /** True when the token is a valid agent token of this cluster. */
  valid(token: string, clusterId: number): boolean {
    return this.clusterOf(token)?.clusterId === clusterId;
  }

  /** Records a token's use (at most once a minute per token, to spare the disk). */
  touch(token: string): void {
    this.store.run("UPDATE agent_tokens SET last_used_at = ? WHERE hash = ? AND (last_used_at IS NULL OR last_used_at < ?)", now(), tokenHash(token), new Date(Date.now() - 60_000).toISOString());
  }
}
