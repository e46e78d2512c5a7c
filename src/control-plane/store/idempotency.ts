// The stored responses of idempotent POSTs: the first successful response is stored (in the same
// transaction as the change it reports) for 24 hours; a retry with the same key gets it again.
import { HttpError } from '../http-error.js';
import type { Store } from './store.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface StoredResponse {
  status: number;
  body: unknown;
}

interface Row {
  key: string;
  method: string;
  path: string;
  request_hash: string;
  status: number;
  response: string;
  created_at: number;
}

export class IdempotencyStore {
  constructor(
    private readonly store: Store,
    private readonly ttlMs = IDEMPOTENCY_TTL_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The stored response for this key, or undefined; 422 when the key was used for a different request. */
  replay(key: string, method: string, path: string, hash: string): StoredResponse | undefined {
    const row = this.store.get<Row>('SELECT * FROM idempotency_keys WHERE key = ? AND created_at > ?', key, this.clock() - this.ttlMs);
    if (!row) return undefined;
    if (row.method !== method || row.path !== path || row.request_hash !== hash) {
      throw new HttpError(422, {
        code: 'invalid',
        message: `Idempotency-Key ${JSON.stringify(key)} was already used for a different request (${row.method} ${row.path})`,
        field: 'Idempotency-Key',
        value: key,
        rule: 'a key identifies one request: retries must send the same method, path and body',
        hint: 'use a new key for a new request',
      });
    }
    return { status: row.status, body: JSON.parse(row.response) as unknown };
  }

  /** Stores a response (call inside the transaction that made the change). */
  save(key: string, method: string, path: string, hash: string, response: StoredResponse): void {
    this.store.run(
      'INSERT OR REPLACE INTO idempotency_keys (key, method, path, request_hash, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      key,
      method,
      path,
      hash,
      response.status,
      JSON.stringify(response.body),
      this.clock(),
    );
  }

  /** Drops keys older than the retention period. */
  purge(): number {
    return this.store.run('DELETE FROM idempotency_keys WHERE created_at <= ?', this.clock() - this.ttlMs).changes;
  }
}
