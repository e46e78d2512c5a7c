// The agent tokens: one per cluster and purpose, stored as a SHA-256 hash, shown once.
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

/** Agent tokens: one per cluster and purpose, stored hashed, shown once. */
export class AgentTokens {
  constructor(private readonly store: Store) {}

  /** Creates a token for a cluster's agents; returns the token (only now) and its id. */
  create(clusterId: number, name: string): { id: number; token: string } {
    const token = newToken();
    const { lastInsertRowid } = this.store.run('INSERT INTO agent_tokens (cluster_id, kind, name, hash, created_at) VALUES (?, ?, ?, ?, ?)', clusterId, 'agent', name, tokenHash(token), now());
    return { id: lastInsertRowid, token };
  }

  /** The cluster a (not revoked) agent token belongs to, or null; `local`: the local replicas' token. */
  clusterOf(token: string): { clusterId: number; local: boolean } | null {
    const row = this.store.get<{ cluster_id: number; name: string }>("SELECT cluster_id, name FROM agent_tokens WHERE hash = ? AND kind = 'agent' AND revoked_at IS NULL", tokenHash(token));
    return row ? { clusterId: row.cluster_id, local: row.name === LOCAL_TOKEN_NAME } : null;
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
