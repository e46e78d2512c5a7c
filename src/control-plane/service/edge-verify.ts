// The check of a cluster's edge settings with the provider before they are saved (create, update,
// apply of a new cluster): the driver's verify(), bounded so an unreachable provider is a prompt 424.
import { clusterCreateRequest } from '../../api/schemas.js';
import { secretFieldsOf } from '../../inputs/parse.js';
import { secretValues } from '../../inputs/secret.js';
import { HttpError, invalid } from '../http-error.js';
import type { Reconciler } from '../runtime/reconcile.js';

/** Create-time edge checks: total backoff between retries, and the whole check. */
export const EDGE_VERIFY_RETRY_BUDGET_MS = 3_000;
export const EDGE_VERIFY_TIMEOUT_MS = 20_000;

/** The edge settings to verify: a cluster's name, edge mode and edge_config. */
export interface EdgeSettings {
  name: string;
  edge: 'dns_rr' | 'cloudflare' | 'aws_alb' | 'none';
  edge_config: Record<string, unknown>;
}

/** Asks the edge driver to verify the settings (credentials, zone, target group, folder); throws 400 or 424. */
export async function verifyEdge(reconciler: Reconciler, body: EdgeSettings): Promise<void> {
  const { EdgeError, redact } = await import('../../edge/index.js');
  // The driver's last warning (already redacted by the driver) explains a timeout: "no answer"
  // alone would leave the cause in server.log only.
  let lastWarning: string | null = null;
  const logger = { info: () => undefined, warn: (m: string) => void (lastWarning = m.replace(/; retrying in \d+ ms$/, '')) };
  // The request's secret fields, as the schema marks them: none may reach a message.
  const secrets = secretValues(body, secretFieldsOf(clusterCreateRequest));
  const timeouts = new WeakSet<Error>();
  const timedOut = (message: string, hint: string): Error => {
    const err = new EdgeError(message, 'unavailable', hint);
    timeouts.add(err);
    return err;
  };
  // The request waits for this: cap the drivers' retry backoff and the whole check, so an
  // unreachable provider is a prompt 424 rather than minutes of retries.
  let slept = 0;
  const sleep = async (ms: number): Promise<void> => {
    if (slept + ms > EDGE_VERIFY_RETRY_BUDGET_MS) throw timedOut(`no answer after retrying for ${slept} ms`, 'check the network path to the provider, then create the cluster again');
    slept += ms;
    await new Promise((r) => setTimeout(r, ms));
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const verify = reconciler.edgeDriver({ name: body.name, edge: body.edge, edge_config: body.edge_config as never }, { sleep, logger }).verify();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut(`no answer within ${EDGE_VERIFY_TIMEOUT_MS / 1000} s`, 'check the network path to the provider')), EDGE_VERIFY_TIMEOUT_MS);
    });
    await Promise.race([verify, timeout]);
  } catch (err) {
    if (!(err instanceof EdgeError)) throw err;
    const fields = { field: err.field ? `edge_config.${err.field}` : 'edge_config', rule: `the ${body.edge} edge must accept these settings before they are saved`, ...(err.hint ? { hint: redact(err.hint, secrets) } : {}) };
    if (err.kind === 'invalid' || err.kind === 'auth') throw invalid(redact(`the ${body.edge} edge refused the settings: ${err.message}`, secrets), fields);
    const last = timeouts.has(err) && lastWarning !== null ? ` (last error: ${lastWarning})` : '';
    throw new HttpError(424, { code: err.kind === 'unavailable' ? 'unavailable' : 'failed', message: redact(`could not verify the ${body.edge} edge: ${err.message}${last}`, secrets), ...fields });
  } finally {
    clearTimeout(timer);
  }
}

