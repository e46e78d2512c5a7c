// The shared fixtures must satisfy the contract, or every test built on them proves nothing.
import { describe, expect, it } from 'vitest';
import * as s from '../../src/api/schemas.js';
import * as f from '../fixtures/contract.js';

const cases: [string, unknown, { safeParse: (v: unknown) => { success: boolean; error?: unknown } }][] = [
  ['sampleCluster', f.sampleCluster, s.cluster],
  ['sampleCloudflareCluster', f.sampleCloudflareCluster, s.cluster],
  ['sampleDetail', f.sampleDetail, s.clusterDetail],
  ['sampleStatus', f.sampleStatus, s.clusterStatus],
  ['samplePlan', f.samplePlan, s.plan],
  ['sampleDryRunPlan', f.sampleDryRunPlan, s.plan],
  ['sampleEmptyPlan', f.sampleEmptyPlan, s.plan],
  ['sampleVariant', f.sampleVariant, s.variant],
  ['sampleVariantGreen', f.sampleVariantGreen, s.variant],
  ['sampleDomain', f.sampleDomain, s.domain],
  ['sampleDomain2', f.sampleDomain2, s.domain],
  ['sampleUpstream', f.sampleUpstream, s.upstream],
  ['sampleUrlUpstream', f.sampleUrlUpstream, s.upstream],
  ['sampleMember', f.sampleMember, s.member],
  ['sampleDeploy', f.sampleDeploy, s.deploy],
  ['sampleSwitchResult', f.sampleSwitchResult, s.switchResult],
  ['sampleProxyConfig', f.sampleProxyConfig, s.proxyConfig],
];

describe('contract fixtures', () => {
  it.each(cases)('%s parses with its schema', (_name, value, schema) => {
    const r = schema.safeParse(value);
    expect(r.error).toBeUndefined();
    expect(r.success).toBe(true);
  });

  it('a mutation envelope of a sample parses', () => {
    expect(s.mutation(s.variant, 'Variant').safeParse({ result: f.sampleVariant, plan: f.samplePlan }).success).toBe(true);
  });

  it('the samples are consistent with each other', () => {
    expect(f.sampleDetail.cluster).toBe(f.sampleCluster);
    expect(f.sampleStatus.cluster.name).toBe(f.sampleCluster.name);
    expect(f.sampleCluster.hostnames).toEqual(f.sampleDetail.domains.map((d) => d.hostname));
    expect(f.sampleDeploy.cluster).toBe('api');
  });
});
