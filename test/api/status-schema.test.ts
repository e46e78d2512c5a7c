// ClusterStatus across versions: a control plane from before `edge.targets` still parses (null).
import { describe, expect, it } from 'vitest';
import { clusterStatus } from '../../src/api/schemas.js';
import { sampleStatus } from '../fixtures/contract.js';

describe('ClusterStatus edge.targets', () => {
  it('missing (an older control plane): null', () => {
    const { targets: _dropped, ...edge } = sampleStatus.edge;
    expect(clusterStatus.parse({ ...sampleStatus, edge }).edge.targets).toBeNull();
  });

  it('given: kept as sent; a malformed entry is refused', () => {
    const targets = [{ target: '127.0.0.2:18080', state: 'healthy', reason: null }];
    expect(clusterStatus.parse({ ...sampleStatus, edge: { ...sampleStatus.edge, targets } }).edge.targets).toEqual(targets);
    expect(clusterStatus.safeParse({ ...sampleStatus, edge: { ...sampleStatus.edge, targets: [{ target: 1 }] } }).success).toBe(false);
  });
});
