// `local app` talks to this project's control plane only: local apps are its stand-in for OwnStack
// apps, and a hosted OwnStack API would read the same verbs on its own apps (`DELETE /api/apps/:id`
// destroys an app there). Before the first request the target must identify itself through
// GET /api/health as an ownstack control plane (local, or networked as in "Proxies on real hosts").
import type { ApiClient } from '../../../api/client.js';
import type { Context } from '../../../context.js';
import { AuthError, FailedError, InterruptedError, isCliError, TimeoutError, UsageError } from '../../../errors.js';

/** What GET /api/health names this project's control plane (src/api/schemas.ts `health`). */
export const CONTROL_PLANE_SERVICE = 'ownstack-control-plane';

/** The API client, once the control plane it talks to has identified itself as this project's. */
export async function localAppApi(ctx: Context): Promise<ApiClient> {
  const api = await ctx.api();
  const profile = ctx.profile();
  // The local control plane is ours by construction (ctx.api() started or found it).
  if (profile.local) return api;
  const where = profile.apiUrl ?? 'the control plane';
  let why: string;
  try {
    const h = await api.call('health');
    if (h.service === CONTROL_PLANE_SERVICE) return api;
    why = `it identifies itself as ${JSON.stringify(h.service)}`;
  } catch (err) {
    // Not reached at all (network, TLS, proxy: a failure with its cause), too slow, or refusing the
    // token: that error as it is (exit 1, 4, …). An answer that is not ours is the refusal below.
    const unreachable = err instanceof FailedError && err.cause !== undefined;
    if (!isCliError(err) || unreachable || err instanceof AuthError || err instanceof TimeoutError || err instanceof InterruptedError) throw err;
    why = `GET /api/health did not identify it as an ownstack control plane (${err.message})`;
  }
  throw new UsageError(`local app commands manage the apps of an ownstack control plane, and ${where} (profile ${profile.name}) is not one: ${why}`, {
    hint: 'run them against the local control plane (drop --profile / --api-url), or a networked ownstack control plane; apps of a hosted OwnStack are managed there',
    details: { code: 'invalid', message: 'not an ownstack control plane', field: '--profile', value: profile.name, rule: `local app commands need a control plane whose GET /api/health says service "${CONTROL_PLANE_SERVICE}"` },
  });
}
