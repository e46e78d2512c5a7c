// msw handlers for the member endpoints, answering from the contract fixtures.
import type { Member } from '../../../../src/api/schemas.js';
import { HttpResponse, clusterNotFound, http, sampleDryRunPlan, sampleMember, samplePlan, url } from '../../../fixtures/contract.js';

const base = '/api/clusters/:cluster/members';

/** Member list/add/drain/undrain/weight/remove for the clusters in `known` (null: every name exists). */
export function memberHandlers(known: string[] | null = ['api', '1'], list: Member[] = [sampleMember]) {
  const guard = (c: unknown) => (known === null || known.includes(String(c)) ? null : clusterNotFound(String(c)));
  const plan = (dry: unknown) => (dry === true || dry === 'true' ? sampleDryRunPlan : samplePlan);
  const json = async (request: Request) => {
    const t = await request.text();
    return (t ? JSON.parse(t) : {}) as Record<string, any>;
  };
  const member = (app: unknown, extra: Partial<Member> = {}): Member => ({ ...sampleMember, app: String(app), ...extra });
  return [
    http.get(url(base), ({ params }) => guard(params.cluster) ?? HttpResponse.json({ members: list })),
    http.post(url(base), async ({ params, request }) => {
      const g = guard(params.cluster);
      if (g) return g;
      const b = await json(request);
      const result = member(b.app, { weight: Number(b.weight ?? 100), variants: [b.variant ?? 'blue'], upstream_ids: [34], addresses: ['10.0.0.21:5000'] });
      return HttpResponse.json({ result, plan: plan(b.dry_run) }, { status: 201 });
    }),
    http.post(url(`${base}/:app/drain`), async ({ params, request }) => {
      const g = guard(params.cluster);
      if (g) return g;
      const b = await json(request);
      return HttpResponse.json({ result: member(params.app, { status: 'draining' }), plan: plan(b.dry_run) });
    }),
    http.post(url(`${base}/:app/undrain`), async ({ params, request }) => {
      const g = guard(params.cluster);
      if (g) return g;
      const b = await json(request);
      return HttpResponse.json({ result: member(params.app, { status: 'active' }), plan: plan(b.dry_run) });
    }),
    http.put(url(`${base}/:app/weight`), async ({ params, request }) => {
      const g = guard(params.cluster);
      if (g) return g;
      const b = await json(request);
      return HttpResponse.json({ result: member(params.app, { weight: Number(b.weight) }), plan: plan(b.dry_run) });
    }),
    http.delete(url(`${base}/:app`), ({ params, request }) => {
      const g = guard(params.cluster);
      if (g) return g;
      return HttpResponse.json({ result: member(params.app, { status: 'removed' }), plan: plan(new URL(request.url).searchParams.get('dry_run')) });
    }),
  ];
}
