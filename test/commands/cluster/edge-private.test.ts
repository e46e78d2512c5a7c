// --edge-allow-private-addresses on create and update: what is sent, and the refusals (exit 2, the
// flag named with the rule, nothing sent) for the edges it does not apply to.
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { expectArgvRow, type ArgvRow } from '../../helpers/argv-table.js';
import { contractServer, http, HttpResponse, sampleCluster, samplePlan, url } from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });
const ARN = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/api/0123456789abcdef';

const rows: ArgvRow[] = [
  [
    `cluster create api --edge=aws_alb --edge-allow-private-addresses --alb-target-group-arn=${ARN}`,
    {
      method: 'POST',
      path: '/api/clusters',
      body: {
        name: 'api',
        hostnames: [],
        edge: 'aws_alb',
        edge_allow_private_addresses: true,
        proxy_count: 1,
        proxy_app: null,
        health: { path: '/', interval: '5s', timeout: '2s' },
        edge_config: { alb_target_group_arn: ARN, alb_region: 'us-west-2' },
      },
    },
  ],
  ['cluster create api --edge-allow-private-addresses', { reject: /--edge-allow-private-addresses.*only applies to edge cloudflare or aws_alb, not dns_rr \(dns_rr publishes every registered address\)/ }],
  ['cluster create api --edge=none --edge-allow-private-addresses', { reject: /--edge-allow-private-addresses.*only applies to edge cloudflare or aws_alb, not none/ }],
  ['cluster update api --edge-allow-private-addresses', { method: 'PATCH', path: '/api/clusters/api', body: { edge_allow_private_addresses: true, dry_run: false } }],
  ['cluster update api --no-edge-allow-private-addresses', { method: 'PATCH', path: '/api/clusters/api', body: { edge_allow_private_addresses: false, dry_run: false } }],
];

describe('--edge-allow-private-addresses', () => {
  beforeEach(() => {
    api.use(
      // Each reads the body, as the contract's handlers do, so the request is recorded whole.
      http.post(url('/api/clusters'), async ({ request }) => (await request.text(), HttpResponse.json({ ...sampleCluster, edge_allow_private_addresses: true }, { status: 201 }))),
      http.patch(url('/api/clusters/api'), async ({ request }) => (await request.text(), HttpResponse.json({ result: sampleCluster, plan: samplePlan }))),
    );
  });
  it.each(rows)('%s', async (...row) => expectArgvRow(api, row));
});
