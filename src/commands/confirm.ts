// The retype-to-confirm guard in front of destructive commands, and the run step the routing
// remove commands share (confirm, then DELETE with dry_run; each command renders with renderMutation).
import type { Context } from '../context.js';
import type { ResponseOf } from '../api/routes.js';
import { UsageError } from '../errors.js';

/** What to ask before a destructive step: "This will <what>. Type "<expected>" to confirm". */
export interface Confirmation {
  what: string;
  expected: string;
  /** What the user retyped, for the abort message ("the name did not match"). */
  noun?: 'name' | 'id';
}

/** Asks the user to retype a name; throws UsageError (exit 2, "nothing was changed") when it does not match. */
export async function confirmByRetyping(ctx: Context, c: Confirmation): Promise<void> {
  if (!(await ctx.prompt.confirmName(c.what, c.expected))) {
    throw new UsageError(`aborted: the ${c.noun ?? 'name'} did not match`, { hint: 'nothing was changed' });
  }
}

type RoutingRemoveRoute = 'domainRemove' | 'variantRemove' | 'upstreamRemove' | 'memberRemove';

/** The run step of a routing remove command: confirm (unless --yes, or a dry run, which changes nothing), then DELETE. */
export async function runConfirmedRemove<N extends RoutingRemoveRoute>(
  ctx: Context,
  route: N,
  params: Record<string, string | number>,
  o: { yes: boolean; dryRun: boolean; force?: boolean },
  confirmation: Confirmation,
): Promise<ResponseOf<N>> {
  if (!o.yes && !o.dryRun) await confirmByRetyping(ctx, confirmation);
  const api = await ctx.api();
  return api.call(route, { params, query: { dry_run: o.dryRun, ...(o.force ? { force: true } : {}) } });
}
