// Tokens of a control plane that other hosts reach: operator tokens (the whole API) and agent
// tokens (one cluster's proxy config and its proxies' reports). The secret is shown once, at
// create; the control plane keeps only its sha256.
import * as z from 'zod';
import { clusterRefSchema, nameSchema } from '../inputs/index.js';

export const tokenKind = z.enum(['operator', 'agent']);

export const token = z
  .object({
    id: z.number().int(),
    kind: tokenKind,
    name: z.string(),
    cluster: z.string().nullable().describe('the cluster of an agent token; null for operator tokens'),
    created_at: z.string(),
    last_used_at: z.string().nullable().describe('updated at most once a minute'),
    revoked_at: z.string().nullable(),
  })
  .meta({ id: 'Token' });

export const tokenList = z.object({ tokens: z.array(token) }).meta({ id: 'TokenList' });

export const tokenCreateRequest = z
  .object({
    name: nameSchema('token'),
    cluster: clusterRefSchema.optional().describe('makes an agent token of this cluster; without it, an operator token'),
  })
  .strict()
  .meta({ id: 'TokenCreateRequest' });

export const tokenCreated = token
  .extend({ token: z.string().describe('the secret: shown only in this answer') })
  .meta({ id: 'TokenCreated' });
