// Destroying a cluster: edge records first (so nothing points at proxies that are gone), then the
// rows, then the replicas and files. A dry run makes the same checks and answers the cluster that would go.
import type { Cluster } from '../../api/schemas.js';
import { HttpError } from '../http-error.js';
import type { Service } from './service.js';

export interface DestroyOptions {
  /** Also delete the cluster's proxy app when no other cluster uses it. */
  withProxy: boolean;
  dryRun: boolean;
  /** The cluster's unfinished deploy, if any: a running one refuses the destroy. */
  deployOf: (clusterId: number) => { id: number; state: string } | undefined;
  log: (line: string) => void;
}

/** Destroys a cluster and answers the cluster as it was. */
export async function destroyCluster(svc: Service, ref: string, opts: DestroyOptions): Promise<Cluster> {
  const { store, reconciler } = svc;
  const c = store.cluster(ref);
  const current = opts.deployOf(c.id);
  if (current?.state === 'running') {
    throw new HttpError(409, { code: 'conflict', message: `cluster ${c.name} has a running deploy (${current.id})`, hint: 'abort it or wait for it to finish' });
  }
  if (opts.dryRun) return store.toCluster(c);
  if (c.edge !== 'none') {
    try {
      await reconciler.edgeDriver(c).remove(store.domains(c.id).map((d) => d.hostname));
    } catch (err) {
      throw new HttpError(424, {
        code: 'failed',
        message: `could not remove the ${c.edge} edge records of cluster ${c.name}: ${(err as Error).message}`,
        hint: 'fix the edge settings or remove the records by hand; the cluster was not destroyed',
      });
    }
  }
  const view = svc.tx(() => {
    const row = store.clusterById(c.id);
    if (!row) throw new HttpError(404, { code: 'not_found', message: `cluster ${c.name} was destroyed meanwhile` });
    const v = store.toCluster(row);
    store.deleteCluster(c.id);
    if (opts.withProxy && row.proxy_app) {
      const app = store.appByName(row.proxy_app);
      if (app && store.clustersUsingApp(app.id).length === 0) store.deleteApp(app.id);
    }
    return v;
  });
  try {
    await reconciler.teardown(c);
  } catch (err) {
    // The cluster is gone (its rows are deleted): what is left is files, worth a log line, not a failure.
    opts.log(`cluster ${c.name} was destroyed, but its replicas or folder were not all removed: ${(err as Error).message}`);
  }
  return view;
}
