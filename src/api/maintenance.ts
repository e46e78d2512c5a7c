// Host maintenance (the seed's OS/AMI upgrade, for addresses): the requests and responses of
// /api/maintenance. Apart from schemas.ts so the maintenance commands load only this.
import * as z from 'zod';
import { maintenanceHostSchema } from '../inputs/maintenance-host.js';
import { plan } from './schemas.js';

export { maintenanceHostSchema };

const dryRun = z.boolean().optional().default(false);

export const maintenanceStartRequest = z
  .object({
    dry_run: dryRun,
    force: z.boolean().optional().default(false).describe('drain even when a hostname would be left with no routable upstream elsewhere'),
  })
  .meta({ id: 'MaintenanceStartRequest' });
export const maintenanceEndRequest = z.object({ dry_run: dryRun }).meta({ id: 'MaintenanceEndRequest' });

/** One upstream address maintenance drained. */
export const maintenanceDrained = z
  .object({ cluster: z.string(), upstream_id: z.number().int(), upstream: z.string(), address: z.string() })
  .meta({ id: 'MaintenanceDrained' });

export const maintenanceHost = z
  .object({
    host: z.string(),
    started_at: z.string(),
    forced: z.boolean(),
    drained: z.array(maintenanceDrained),
    /** Requests the live proxies still send to the drained addresses (null: some proxy does not count them). */
    in_flight: z.number().int().nullable(),
    /** Every live proxy of the clusters involved serves the drain and has reported since its answers refreshed. */
    settled: z.boolean(),
  })
  .meta({ id: 'MaintenanceHost' });
export type MaintenanceHost = z.infer<typeof maintenanceHost>;

export const maintenanceList = z.object({ hosts: z.array(maintenanceHost) }).meta({ id: 'MaintenanceList' });

export const maintenanceChange = z
  .object({
    host: z.string(),
    /** started / ended: what this request did; unchanged: the host was already in that state with nothing new to drain. */
    state: z.enum(['started', 'ended', 'unchanged']),
    applied: z.boolean(),
    /** The addresses drained (start) or undrained (end) by this request. */
    addresses: z.array(maintenanceDrained),
    plans: z.array(plan),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'MaintenanceChange' });
export type MaintenanceChange = z.infer<typeof maintenanceChange>;
