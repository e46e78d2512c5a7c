// argv → the request sent, or a rejection that names the argument/flag, exits 2 and sends nothing.
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { expectArgvRow, type ArgvRow } from '../../../helpers/argv-table.js';
import { contractServer } from '../../../fixtures/contract.js';
import { memberHandlers } from './handlers.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

const M = '/api/clusters/api/members';
const l63 = 'a'.repeat(63);

const rows: ArgvRow[] = [
  // list
  ['cluster member list api', { method: 'GET', path: M }],
  ['cluster member ls 1', { method: 'GET', path: '/api/clusters/1/members' }],
  ['cluster member list API', { reject: /invalid <cluster> "API": a cluster name must be lower case — try api/ }],
  ['cluster member list', { reject: /missing required argument 'cluster'/ }],

  // add
  ['cluster member add api my-rails-app', { method: 'POST', path: M, body: { app: 'my-rails-app', weight: 100, dry_run: false } }],
  ['cluster member add api worker --variant=blue --weight=0', { method: 'POST', path: M, body: { app: 'worker', variant: 'blue', weight: 0, dry_run: false } }],
  ['cluster member add api worker --weight=1000 --dry-run', { method: 'POST', path: M, body: { app: 'worker', weight: 1000, dry_run: true } }],
  [`cluster member add api ${l63}`, { method: 'POST', path: M, body: { app: l63, weight: 100, dry_run: false } }],
  [`cluster member add api ${l63}a`, { reject: /invalid <app> "a{64}": an app name must be at most 63 characters/ }],
  ['cluster member add api Worker', { reject: /invalid <app> "Worker": an app name must be lower case — try worker/ }],
  ['cluster member add api worker --weight=1001', { reject: /invalid --weight "1001": a weight must be a whole number from 0 to 1000 — try --weight=1000/ }],
  ['cluster member add api worker --weight=-1', { reject: /invalid --weight "-1".* — try --weight=0/ }],
  ['cluster member add api worker --variant=Blue', { reject: /invalid --variant "Blue".* — try --variant=blue/ }],
  ['cluster member add api', { reject: /missing required argument 'app'/ }],

  // drain / undrain
  ['cluster member drain api my-rails-app', { method: 'POST', path: `${M}/my-rails-app/drain`, body: { dry_run: false, force: false } }],
  ['cluster member drain api my-rails-app --force', { method: 'POST', path: `${M}/my-rails-app/drain`, body: { dry_run: false, force: true } }],
  ['cluster member drain api my-rails-app --dry-run', { method: 'POST', path: `${M}/my-rails-app/drain`, body: { dry_run: true, force: false } }],
  ['cluster member undrain api my-rails-app', { method: 'POST', path: `${M}/my-rails-app/undrain`, body: { dry_run: false } }],
  ['cluster member undrain 1 my-rails-app --dry-run', { method: 'POST', path: '/api/clusters/1/members/my-rails-app/undrain', body: { dry_run: true } }],
  ['cluster member drain api my_app', { reject: /invalid <app> "my_app".* — try my-app/ }],
  ['cluster member undrain api', { reject: /missing required argument 'app'/ }],
  ['cluster member drain api my-rails-app --yes', { reject: /unknown option '--yes'/ }],

  // weight
  ['cluster member weight api my-rails-app 0', { method: 'PUT', path: `${M}/my-rails-app/weight`, body: { weight: 0, dry_run: false, force: false } }],
  ['cluster member weight api my-rails-app 0 --force', { method: 'PUT', path: `${M}/my-rails-app/weight`, body: { weight: 0, dry_run: false, force: true } }],
  ['cluster member weight api my-rails-app 1000 --dry-run', { method: 'PUT', path: `${M}/my-rails-app/weight`, body: { weight: 1000, dry_run: true, force: false } }],
  ['cluster member weight api my-rails-app 007', { method: 'PUT', path: `${M}/my-rails-app/weight`, body: { weight: 7, dry_run: false, force: false } }],
  ['cluster member weight api my-rails-app 1001', { reject: /invalid <weight> "1001": a weight must be a whole number from 0 to 1000 — try 1000/ }],
  ['cluster member weight api my-rails-app -1', { reject: /invalid <weight> "-1": a weight must be a whole number from 0 to 1000 — try 0/ }],
  ['cluster member weight api my-rails-app 1.5', { reject: /invalid <weight> "1\.5": a weight must be a whole number from 0 to 1000, written in decimal digits/ }],
  ['cluster member weight api my-rails-app 1e2', { reject: /invalid <weight> "1e2".* — try 100/ }],
  ['cluster member weight api my-rails-app half', { reject: /invalid <weight> "half"/ }],
  ['cluster member weight api my-rails-app', { reject: /missing required argument 'weight'/ }],

  // remove
  ['cluster member remove api my-rails-app --yes', { method: 'DELETE', path: `${M}/my-rails-app`, query: {} }],
  ['cluster member rm api my-rails-app -y --dry-run', { method: 'DELETE', path: `${M}/my-rails-app`, query: { dry_run: 'true' } }],
  ['cluster member remove api my-rails-app --dry-run', { method: 'DELETE', path: `${M}/my-rails-app`, query: { dry_run: 'true' } }],
  ['cluster member remove api my-rails-app', { reject: /pass --yes/ }],
  ['cluster member remove api My-App --yes', { reject: /invalid <app> "My-App"/ }],
];

describe('cluster member: argv → request or rejection', () => {
  it.each(rows)('%s', async (...row) => {
    api.use(...memberHandlers(null));
    await expectArgvRow(api, row);
  });
});
