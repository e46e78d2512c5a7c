// msw handlers for the upstream endpoints, answering from the contract fixtures.
import type { Upstream } from '../../../../src/api/schemas.js';
import {
  HttpResponse,
  clusterNotFound,
  http,
  sampleDryRunPlan,
  samplePlan,
  sampleUpstream,
  sampleUrlUpstream,
  url,
} from '../../../fixtures/contract.js';

const base = '/api/clusters/:cluster/upstreams';

/** Upstream list/add/remove for the clusters in `known` (null: every name exists). */
export function upstreamHandlers(known: string[] | null = ['api', '1'], list: Upstream[] = [sampleUpstream, sampleUrlUpstream]) {
  const guard = (c: unknown) => (known === null || known.includes(String(c)) ? null : clusterNotFound(String(c)));
  return [
    http.get(url(base), ({ params }) => guard(params.cluster) ?? HttpResponse.json({ upstreams: list })),
    http.post(url(base), async ({ params, request }) => {
      const g = guard(params.cluster);
      if (g) return g;
      const b = (await request.json()) as Record<string, any>;
      const isUrl = typeof b.url === 'string';
      const result: Upstream = {
        id: 33,
        cluster: 'api',
        variant: b.variant,
        hostname: b.hostname ?? null,
        kind: isUrl ? 'url' : 'app',
        url: isUrl ? b.url : null,
        app: isUrl ? null : b.app,
        addresses: isUrl ? [b.url] : ['10.0.0.21:5000'],
        weight: Number(b.weight ?? 100),
        status: 'active',
        host_header: b.host_header ?? null,
        created_at: '2026-01-15T10:10:00Z',
      };
      return HttpResponse.json({ result, plan: b.dry_run ? sampleDryRunPlan : samplePlan }, { status: 201 });
    }),
    http.delete(url(`${base}/:id`), ({ params, request }) => {
      const g = guard(params.cluster);
      if (g) return g;
      const dry = new URL(request.url).searchParams.get('dry_run') === 'true';
      return HttpResponse.json({ result: { ...sampleUrlUpstream, id: Number(params.id) }, plan: dry ? sampleDryRunPlan : samplePlan });
    }),
  ];
}
