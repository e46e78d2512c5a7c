// argv → what is sent (the parsed options, as they reach the wire) or a rejection that names
// the flag, exits 2 and provably sends nothing.
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { expectArgvRow, type ArgvRow } from '../../helpers/argv-table.js';
import { contractHandlers, contractServer } from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

const long = (n: number) => 'a'.repeat(n);
const desc500 = 'd'.repeat(500);
const desc501 = 'd'.repeat(501);

const rows: ArgvRow[] = [
  // show / status
  ['cluster show api', { method: 'GET', path: '/api/clusters/api' }],
  ['cluster show 1', { method: 'GET', path: '/api/clusters/1' }],
  [`cluster show ${long(63)}`, { method: 'GET', path: `/api/clusters/${long(63)}` }],
  [`cluster show ${long(64)}`, { reject: /<name> "a{64}": a cluster name must be at most 63 characters/ }],
  ['cluster show Api', { reject: /invalid <name> "Api": a cluster name must be lower case — try api/ }],
  ['cluster show api_1', { reject: /invalid <name> "api_1"/ }],
  ['cluster show', { reject: /missing required argument 'name'/ }],
  ['cluster status api', { method: 'GET', path: '/api/clusters/api/status' }],
  ['cluster status a.b', { reject: /invalid <name> "a.b"/ }],
  ['cluster status', { reject: /missing required argument 'name'/ }],

  // destroy
  ['cluster destroy api --yes', { method: 'DELETE', path: '/api/clusters/api', query: {} }],
  ['cluster destroy api -y --with-proxy', { method: 'DELETE', path: '/api/clusters/api', query: { with_proxy: 'true' } }],
  ['cluster destroy API --yes', { reject: /invalid <name> "API"/ }],
  ['cluster destroy api', { reject: /pass --yes/ }],
  ['cluster destroy --yes', { reject: /missing required argument 'name'/ }],

  // switch
  ['cluster switch api --to=green', { method: 'POST', path: '/api/clusters/api/switch', body: { to: 'green', dry_run: false, force: false } }],
  ['cluster switch api --to green --dry-run', { method: 'POST', path: '/api/clusters/api/switch', body: { to: 'green', dry_run: true, force: false } }],
  ['cluster switch api --to=green --force', { method: 'POST', path: '/api/clusters/api/switch', body: { to: 'green', dry_run: false, force: true } }],
  ['cluster switch api', { reject: /required option '--to <variant>' not specified/ }],
  ['cluster switch api --to=Green', { reject: /invalid --to "Green": a variant name must be lower case — try --to=green/ }],
  ['cluster switch api --to=', { reject: /--to "": a variant name is required/ }],
  ['cluster switch api --to=blue_green', { reject: /invalid --to "blue_green"/ }],
  ['cluster switch bad_name --to=green', { reject: /invalid <cluster> "bad_name"/ }],

  // proxy-config
  ['cluster proxy-config api', { method: 'GET', path: '/api/clusters/api/proxy-config' }],
  ['cluster proxy-config api --caddyfile', { method: 'GET', path: '/api/clusters/api/proxy-config' }],
  ['cluster proxy-config api --env', { method: 'GET', path: '/api/clusters/api/proxy-config' }],
  ['cluster proxy-config -api', { reject: /unknown option '-api'/ }],
  ['cluster proxy-config Api', { reject: /invalid <cluster> "Api"/ }],

  // deploy (--detach: only the start request; waiting is tested in test/deploy/)
  ['cluster deploy api --detach', { method: 'POST', path: '/api/clusters/api/deploys', body: { strategy: 'parallel', force: false } }],
  ['cluster deploy api --strategy=rolling --detach', { method: 'POST', path: '/api/clusters/api/deploys', body: { strategy: 'rolling', force: false } }],
  ['cluster deploy api --strategy=parallel --force --detach', { method: 'POST', path: '/api/clusters/api/deploys', body: { strategy: 'parallel', force: true } }],
  ['cluster deploy api --strategy=canary', { reject: /option '--strategy <strategy>' argument 'canary' is invalid\. Allowed choices are parallel, rolling/ }],
  ['cluster deploy api --strategy=Rolling', { reject: /--strategy <strategy>' argument 'Rolling' is invalid/ }],
  ['cluster deploy', { reject: /missing required argument 'cluster'/ }],

  // domain
  ['cluster domain list api', { method: 'GET', path: '/api/clusters/api/domains' }],
  ['cluster domain ls api', { method: 'GET', path: '/api/clusters/api/domains' }],
  ['cluster domain list x_y', { reject: /invalid <cluster> "x_y"/ }],
  ['cluster domain add api api.example.com', { method: 'POST', path: '/api/clusters/api/domains', body: { hostname: 'api.example.com', dry_run: false } }],
  ['cluster domain add api API.Example.COM.', { method: 'POST', path: '/api/clusters/api/domains', body: { hostname: 'api.example.com', dry_run: false } }],
  ['cluster domain add api *.example.com --dry-run', { method: 'POST', path: '/api/clusters/api/domains', body: { hostname: '*.example.com', dry_run: true } }],
  ['cluster domain add api https://api.example.com', { reject: /invalid <hostname> "https:\/\/api\.example\.com": a hostname is just the name, without a scheme like https:\/\/ — try api\.example\.com/ }],
  ['cluster domain add api api.example.com:443', { reject: /invalid <hostname> "api\.example\.com:443": a hostname must not include a port/ }],
  ['cluster domain add api api.example.com/v1', { reject: /invalid <hostname> .*must not include a path/ }],
  ['cluster domain add api 10.0.0.1', { reject: /invalid <hostname> "10\.0\.0\.1": a hostname must be a DNS name, not an IP address/ }],
  ['cluster domain add api api', { reject: /invalid <hostname> "api"/ }],
  ['cluster domain add api a{b}.com', { reject: /invalid <hostname> "a\{b\}\.com"/ }],
  [`cluster domain add api ${long(64)}.com`, { reject: /invalid <hostname>/ }],
  ['cluster domain add api', { reject: /missing required argument 'hostname'/ }],
  ['cluster domain remove api app.example.com --yes', { method: 'DELETE', path: '/api/clusters/api/domains/app.example.com', query: {} }],
  ['cluster domain rm api app.example.com --dry-run', { method: 'DELETE', path: '/api/clusters/api/domains/app.example.com', query: { dry_run: 'true' } }],
  ['cluster domain remove api app.example.com --dry-run --yes', { method: 'DELETE', path: '/api/clusters/api/domains/app.example.com', query: { dry_run: 'true' } }],
  ['cluster domain remove api app.example.com', { reject: /pass --yes/ }],
  ['cluster domain remove api http://app.example.com --yes', { reject: /invalid <hostname> "http:\/\/app\.example\.com"/ }],
  ['cluster domain remove api --yes', { reject: /missing required argument 'hostname'/ }],

  // variant list / add
  ['cluster variant list api', { method: 'GET', path: '/api/clusters/api/variants' }],
  ['cluster variant list Api', { reject: /invalid <cluster> "Api"/ }],
  ['cluster variant add api green', { method: 'POST', path: '/api/clusters/api/variants', body: { name: 'green', weight: 0, status: 'active', description: '', dry_run: false } }],
  ['cluster variant add api green --weight=0', { method: 'POST', path: '/api/clusters/api/variants', body: { name: 'green', weight: 0, status: 'active', description: '', dry_run: false } }],
  ['cluster variant add api green --weight=1', { method: 'POST', path: '/api/clusters/api/variants', body: { name: 'green', weight: 1, status: 'active', description: '', dry_run: false } }],
  ['cluster variant add api green --weight=1000', { method: 'POST', path: '/api/clusters/api/variants', body: { name: 'green', weight: 1000, status: 'active', description: '', dry_run: false } }],
  ['cluster variant add api green --weight=1001', { reject: /invalid --weight "1001": a weight must be a whole number from 0 to 1000 — try --weight=1000/ }],
  ['cluster variant add api green --weight=-1', { reject: /invalid --weight "-1": a weight must be a whole number from 0 to 1000 — try --weight=0/ }],
  ['cluster variant add api green --weight=1.5', { reject: /invalid --weight "1\.5": a weight must be a whole number from 0 to 1000, written in decimal digits/ }],
  ['cluster variant add api green --weight=abc', { reject: /invalid --weight "abc": a weight must be a whole number/ }],
  ['cluster variant add api green --weight=', { reject: /invalid --weight "": a weight is required/ }],
  ['cluster variant add api green --weight=0x10', { reject: /invalid --weight "0x10"/ }],
  [
    'cluster variant add api green --status=draining --description=next --dry-run',
    { method: 'POST', path: '/api/clusters/api/variants', body: { name: 'green', weight: 0, status: 'draining', description: 'next', dry_run: true } },
  ],
  ['cluster variant add api green --status=paused', { reject: /option '--status <status>' argument 'paused' is invalid\. Allowed choices are active, draining/ }],
  [`cluster variant add api green --description=${desc500}`, { method: 'POST', path: '/api/clusters/api/variants', body: { name: 'green', weight: 0, status: 'active', description: desc500, dry_run: false } }],
  [`cluster variant add api green --description=${desc501}`, { reject: /invalid --description "d{99}…\(384 characters cut\)…d{18}": a description must be at most 500 characters/ }],
  ['cluster variant add api Green', { reject: /invalid <name> "Green": a variant name must be lower case — try green/ }],
  ['cluster variant add api green_1', { reject: /invalid <name> "green_1"/ }],
  [`cluster variant add api ${long(64)}`, { reject: /invalid <name> "a{64}": a variant name must be at most 63 characters/ }],
  ['cluster variant add api', { reject: /missing required argument 'name'/ }],

  // variant update
  ['cluster variant update api green --weight=5', { method: 'PATCH', path: '/api/clusters/api/variants/green', body: { weight: 5, dry_run: false, force: false } }],
  ['cluster variant update api green --weight=0 --force', { method: 'PATCH', path: '/api/clusters/api/variants/green', body: { weight: 0, dry_run: false, force: true } }],
  ['cluster variant update api green --weight=0 --dry-run', { method: 'PATCH', path: '/api/clusters/api/variants/green', body: { weight: 0, dry_run: true, force: false } }],
  ['cluster variant update api green --status=draining', { method: 'PATCH', path: '/api/clusters/api/variants/green', body: { status: 'draining', dry_run: false, force: false } }],
  ['cluster variant update api green --description=', { method: 'PATCH', path: '/api/clusters/api/variants/green', body: { description: '', dry_run: false, force: false } }],
  ['cluster variant update api green', { reject: /nothing to update: give at least one of --weight, --status or --description/ }],
  ['cluster variant update api green --dry-run', { reject: /nothing to update/ }],
  ['cluster variant update api green --weight=1001', { reject: /invalid --weight "1001".*try --weight=1000/ }],
  ['cluster variant update api green --weight=-1', { reject: /invalid --weight "-1"/ }],
  ['cluster variant update api green --weight=2.5', { reject: /invalid --weight "2\.5"/ }],
  ['cluster variant update api green --status=off', { reject: /'--status <status>' argument 'off' is invalid/ }],
  ['cluster variant update api Green --weight=1', { reject: /invalid <name> "Green"/ }],

  // variant remove
  ['cluster variant remove api heroku --yes', { method: 'DELETE', path: '/api/clusters/api/variants/heroku', query: {} }],
  ['cluster variant rm api heroku --dry-run', { method: 'DELETE', path: '/api/clusters/api/variants/heroku', query: { dry_run: 'true' } }],
  ['cluster variant remove api heroku', { reject: /pass --yes/ }],
  ['cluster variant remove api Heroku --yes', { reject: /invalid <name> "Heroku"/ }],
];

describe('argv → request or rejection', () => {
  it.each(rows)('%s', async (...row) => {
    api.use(...contractHandlers(null));
    await expectArgvRow(api, row);
  });
});
