// The web dashboard's part of the contract: the one-time login link `ownstack dashboard` asks for.
import * as z from 'zod';

export const dashboardLink = z
  .object({
    path: z.string().describe('the login path with its one-time code; open it on the control plane URL, e.g. /login?code=…'),
    expires_at: z.string().describe('the code is refused after this time (ISO 8601) and after its first use'),
  })
  .meta({ id: 'DashboardLink' });
export type DashboardLink = z.infer<typeof dashboardLink>;
