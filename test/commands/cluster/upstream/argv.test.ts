// argv → the request sent, or a rejection that names the flag, exits 2 and provably sends nothing.
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { expectArgvRow, type ArgvRow, type Sent } from '../../../helpers/argv-table.js';
import { contractServer } from '../../../fixtures/contract.js';
import { upstreamHandlers } from './handlers.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

const POST = '/api/clusters/api/upstreams';
const add = (body: Record<string, unknown>): Sent => ({
  method: 'POST',
  path: POST,
  body: { variant: 'green', hostname: null, weight: 100, host_header: null, dry_run: false, ...body },
});
const u = 'https://x.herokuapp.com';
const l63 = 'a'.repeat(63);

const rows: ArgvRow[] = [
  // list
  ['cluster upstream list api', { method: 'GET', path: POST }],
  ['cluster upstream ls 1', { method: 'GET', path: '/api/clusters/1/upstreams' }],
  ['cluster upstream list Api', { reject: /invalid <cluster> "Api": a cluster name must be lower case — try api/ }],
  ['cluster upstream list', { reject: /missing required argument 'cluster'/ }],

  // add: the target
  [`cluster upstream add api --variant=green --url=${u}`, add({ url: u })],
  ['cluster upstream add api --variant=green --app=my-rails-app', add({ app: 'my-rails-app' })],
  ['cluster upstream add api --variant green --url HTTPS://X.Herokuapp.com', add({ url: u })],
  ['cluster upstream add api --variant=green --url=http://10.0.0.5:8080', add({ url: 'http://10.0.0.5:8080' })],
  ['cluster upstream add api --variant=green --url=https://x.example.com:8443', add({ url: 'https://x.example.com:8443' })],
  [`cluster upstream add api --variant=green --url=${u}/`, { reject: /^error: invalid --url "https:\/\/x\.herokuapp\.com\/": a URL upstream must be scheme:\/\/host\[:port\] with no path, query or fragment — try --url=https:\/\/x\.herokuapp\.com$/m }],
  [`cluster upstream add api --variant=green --url=${u}/api`, { reject: /invalid --url "https:\/\/x\.herokuapp\.com\/api": .*no path.* — try --url=https:\/\/x\.herokuapp\.com/ }],
  [`cluster upstream add api --variant=green --url=${u}?a=1`, { reject: /invalid --url ".*\?a=1": .* — try --url=https:\/\/x\.herokuapp\.com/ }],
  [`cluster upstream add api --variant=green --url=${u}#top`, { reject: /invalid --url ".*#top": .* — try --url=https:\/\/x\.herokuapp\.com/ }],
  ['cluster upstream add api --variant=green --url=x.herokuapp.com', { reject: /invalid --url "x\.herokuapp\.com": a URL upstream must start with http:\/\/ or https:\/\/ — try --url=https:\/\/x\.herokuapp\.com/ }],
  ['cluster upstream add api --variant=green --url=ftp://x.example.com', { reject: /invalid --url "ftp:\/\/x\.example\.com": a URL upstream must use http:\/\/ or https:\/\// }],
  ['cluster upstream add api --variant=green --url=https://x.example.com:80', { reject: /invalid --url .*cannot combine https:\/\/ with port 80/ }],
  ['cluster upstream add api --variant=green --url=', { reject: /invalid --url "": a URL upstream is required/ }],
  ['cluster upstream add api --variant=green', { reject: /give exactly one of --url or --app/ }],
  [`cluster upstream add api --variant=green --url=${u} --app=my-rails-app`, { reject: /give exactly one of --url or --app, not both/ }],
  ['cluster upstream add api --variant=green --app=My_App', { reject: /invalid --app "My_App": an app name/ }],

  // add: variant, hostname, weight, host header
  [`cluster upstream add api --url=${u}`, { reject: /missing --variant: a value is required/ }],
  [`cluster upstream add api --variant=Green --url=${u}`, { reject: /invalid --variant "Green": a variant name must be lower case — try --variant=green/ }],
  [`cluster upstream add api --variant=${l63} --url=${u}`, add({ variant: l63, url: u })],
  [`cluster upstream add api --variant=${l63}a --url=${u}`, { reject: /invalid --variant "a{64}": a variant name must be at most 63 characters/ }],
  [`cluster upstream add api --variant=green --hostname=API.example.com --url=${u}`, add({ hostname: 'api.example.com', url: u })],
  [`cluster upstream add api --variant=green --hostname=https://api.example.com --url=${u}`, { reject: /invalid --hostname "https:\/\/api\.example\.com": .* — try --hostname=api\.example\.com/ }],
  [`cluster upstream add api --variant=green --hostname=api.example.com:443 --url=${u}`, { reject: /invalid --hostname "api\.example\.com:443": a hostname must not include a port/ }],
  [`cluster upstream add api --variant=green --url=${u} --weight=0`, add({ url: u, weight: 0 })],
  [`cluster upstream add api --variant=green --url=${u} --weight=1000`, add({ url: u, weight: 1000 })],
  [`cluster upstream add api --variant=green --url=${u} --weight=-1`, { reject: /invalid --weight "-1": a weight must be a whole number from 0 to 1000 — try --weight=0/ }],
  [`cluster upstream add api --variant=green --url=${u} --weight=1001`, { reject: /invalid --weight "1001": a weight must be a whole number from 0 to 1000 — try --weight=1000/ }],
  [`cluster upstream add api --variant=green --url=${u} --weight=1.5`, { reject: /invalid --weight "1\.5"/ }],
  [`cluster upstream add api --variant=green --url=${u} --host-header=api.example.com`, add({ url: u, host_header: 'api.example.com' })],
  [`cluster upstream add api --variant=green --url=${u} --host-header=https://api.example.com`, { reject: /invalid --host-header "https:\/\/api\.example\.com".* — try --host-header=api\.example\.com/ }],
  [`cluster upstream add api --variant=green --url=${u} --dry-run`, add({ url: u, dry_run: true })],
  [`cluster upstream add Api --variant=green --url=${u}`, { reject: /invalid <cluster> "Api"/ }],
  [`cluster upstream add api --variant=green --url=${u} --frob`, { reject: /unknown option '--frob'/ }],

  // remove
  ['cluster upstream remove api 32 --yes', { method: 'DELETE', path: `${POST}/32`, query: {} }],
  ['cluster upstream rm api 1 -y', { method: 'DELETE', path: `${POST}/1`, query: {} }],
  ['cluster upstream remove api 32 --dry-run', { method: 'DELETE', path: `${POST}/32`, query: { dry_run: 'true' } }],
  ['cluster upstream remove api 32 --yes --force', { method: 'DELETE', path: `${POST}/32`, query: { force: 'true' } }],
  ['cluster upstream remove api 9007199254740991 --yes', { method: 'DELETE', path: `${POST}/9007199254740991`, query: {} }],
  ['cluster upstream remove api 9007199254740992 --yes', { reject: /invalid <upstream-id> "9007199254740992": an id must be a whole number/ }],
  ['cluster upstream remove api 0 --yes', { reject: /invalid <upstream-id> "0": an id must be a whole number from 1 to \d+ — try 1/ }],
  ['cluster upstream remove api abc --yes', { reject: /invalid <upstream-id> "abc"/ }],
  ['cluster upstream remove api 32', { reject: /pass --yes/ }],
  ['cluster upstream remove api --yes', { reject: /missing required argument 'upstream-id'/ }],
];

describe('cluster upstream: argv → request or rejection', () => {
  it.each(rows)('%s', async (...row) => {
    api.use(...upstreamHandlers(null));
    await expectArgvRow(api, row);
  });
});
