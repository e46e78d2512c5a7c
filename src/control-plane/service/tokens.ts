// Operator and agent tokens kept by the control plane: create (the secret is returned once), list,
// revoke. The token file stays the first operator token; the local replicas' own agent token is
// listed but revoked only with its cluster.
import type * as z from 'zod';
import type * as t from '../../api/tokens.js';
import { conflict, notFound } from '../http-error.js';
import { LOCAL_TOKEN_NAME, type AgentTokens, type TokenRow } from '../store/agent-tokens.js';
import type { Store } from '../store/store.js';
import type { Outcome } from './service.js';

type Token = z.output<typeof t.token>;
type TokenCreated = z.output<typeof t.tokenCreated>;

function toToken(r: TokenRow): Token {
  return { id: r.id, kind: r.kind, name: r.name, cluster: r.cluster, created_at: r.created_at, last_used_at: r.last_used_at, revoked_at: r.revoked_at };
}

export class TokenService {
  constructor(
    private readonly store: Store,
    private readonly tokens: AgentTokens,
  ) {}

  list(): Outcome<{ tokens: Token[] }> {
    return { body: { tokens: this.tokens.list().map(toToken) }, reconcile: [] };
  }

  create(input: z.output<typeof t.tokenCreateRequest>): Outcome<TokenCreated> {
    return this.store.db.transaction(() => {
      const cluster = input.cluster === undefined ? null : this.store.cluster(input.cluster);
      const kind = cluster ? 'agent' : 'operator';
      const clash = this.tokens.activeNamed(kind, cluster?.id ?? null, input.name);
      if (clash !== undefined || (cluster && input.name === LOCAL_TOKEN_NAME)) {
        throw conflict(`a ${cluster ? `cluster ${cluster.name} agent` : 'operator'} token named ${input.name} exists${clash === undefined ? '' : ` (id ${clash})`}`, {
          field: 'name',
          value: input.name,
          hint: 'pick another name, or revoke that token first (ownstack token revoke <id>)',
        });
      }
      const { id, token } = this.tokens.createNamed(kind, cluster?.id ?? null, input.name);
      return { body: { ...toToken(this.tokens.byId(id)!), token }, reconcile: [] };
    })();
  }

  revoke(id: number): Outcome<Token> {
    return this.store.db.transaction(() => {
      const row = this.tokens.byId(id);
      if (!row) throw notFound('token', String(id), this.tokens.list().map((r) => String(r.id)), { field: 'id' });
      if (row.kind === 'agent' && row.name === LOCAL_TOKEN_NAME) {
        throw conflict(`token ${id} belongs to the proxies this control plane runs for cluster ${row.cluster}`, {
          field: 'id',
          value: String(id),
          hint: 'it goes with the cluster; revoke the tokens of agents on other hosts instead',
        });
      }
      this.tokens.revoke(id);
      return { body: toToken(this.tokens.byId(id)!), reconcile: [] };
    })();
  }
}
