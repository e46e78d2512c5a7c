// The dashboard's pages, rendered on the server from the same data the API answers with: the
// Clusters page (/maintenance), a cluster's detail (/clusters/:name, its live part alone at
// /clusters/:name/live), the New cluster form, and the sign-in pages.
import type { Cluster, ClusterStatus, Deploy, Member } from '../api/schemas.js';
import { MAX_WEIGHT } from '../inputs/numbers.js';
import { urlHostPort } from '../inputs/upstream-url.js';
import { html, type Html } from './html.js';
import type { MaintenanceHost } from '../api/maintenance.js';

/** The URLs of the page's two assets (content-hashed, cached for good). */
export interface AssetUrls {
  css: string;
  js: string;
}

interface Shell {
  title: string;
  assets: AssetUrls;
  /** The session's CSRF token (absent on the sign-in pages). */
  csrf?: string;
  /** Which navigation entry is the current page. */
  current?: 'clusters' | 'new';
  body: Html;
}

/** The document around every page: header, navigation, the notice regions and the switch dialog. */
export function page(s: Shell): Html {
  const nav = s.csrf
    ? html`<nav aria-label="Main"><ul>
        <li><a href="/maintenance"${s.current === 'clusters' ? html` aria-current="page"` : ''}>Clusters</a></li>
        <li><a href="/maintenance/new"${s.current === 'new' ? html` aria-current="page"` : ''}>New cluster</a></li>
        <li><button type="button" class="link" data-action="logout">Sign out</button></li>
      </ul></nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${s.csrf ? html`<meta name="csrf-token" content="${s.csrf}">` : ''}
<title>${s.title} · ownstack</title>
<link rel="stylesheet" href="${s.assets.css}">
<script type="module" src="${s.assets.js}"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/maintenance">ownstack</a>${nav}</header>
<main id="main" tabindex="-1">
<div id="notice" role="status" aria-live="polite"></div>
<div id="error" role="alert"></div>
${s.body}
</main>
</body>
</html>
`;
}

/** A page that only says something (sign-in needed, link used, not found). */
export function messagePage(assets: AssetUrls, title: string, lines: Html[]): Html {
  return page({ title, assets, body: html`<h1>${title}</h1>${lines.map((l) => html`<p>${l}</p>`)}` });
}

const when = (iso: string | null): Html => (iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}</time>` : html`<span class="muted">never</span>`);

function healthBadge(h: string): Html {
  const kind = h === 'healthy' || h === 'ok' || h === 'running' || h === 'external' ? 'good' : h === 'unhealthy' || h === 'failing' || h === 'failed' || h === 'lost' ? 'bad' : 'unknown';
  return html`<span class="badge ${kind}">${h}</span>`;
}

/** "n of m healthy" for a cluster's proxies. */
export function proxyHealth(s: ClusterStatus): { healthy: number; total: number } {
  return { healthy: s.proxies.filter((p) => p.healthz === 'ok').length, total: s.proxies.length };
}

/** The variants that take traffic, with their weights when more than one does. */
export function routedVariants(c: Cluster): string {
  const routed = c.variants.filter((v) => v.weight > 0 && v.status === 'active');
  if (routed.length === 0) return 'none';
  if (routed.length === 1) return routed[0]!.name;
  return routed.map((v) => `${v.name} ${v.weight}`).join(', ');
}

/** One row of the Hosts table: a machine the upstreams send to, and the clusters that use it. */
export interface HostRow {
  host: string;
  addresses: string[];
  clusters: string[];
}

/** The hosts (address without the port) every upstream of every cluster sends to. */
export function hostsOf(statuses: readonly ClusterStatus[]): HostRow[] {
  const byHost = new Map<string, { addresses: Set<string>; clusters: Set<string> }>();
  for (const s of statuses) {
    for (const h of s.hostnames) {
      for (const v of h.variants) {
        for (const u of v.upstreams) {
          for (const a of u.addresses) {
            const hostPort = u.kind === 'url' ? urlHostPort(a.address) : a.address;
            const host = hostPort.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
            const row = byHost.get(host) ?? { addresses: new Set(), clusters: new Set() };
            row.addresses.add(hostPort);
            row.clusters.add(s.cluster.name);
            byHost.set(host, row);
          }
        }
      }
    }
  }
  return [...byHost.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([host, r]) => ({ host, addresses: [...r.addresses].sort(), clusters: [...r.clusters].sort() }));
}

const clusterHref = (name: string) => `/clusters/${encodeURIComponent(name)}`;

/** A host's maintenance state (`ownstack maintenance start|end <host>`). */
export function maintenanceCell(m: MaintenanceHost | undefined): Html {
  if (!m) return html`<span class="muted">in service</span>`;
  return html`<span class="badge warn">under maintenance</span> since ${when(m.started_at)}, ${m.drained.length} address${m.drained.length === 1 ? '' : 'es'} drained`;
}

/** /maintenance: the Clusters table and the Hosts table. */
export function clustersBody(statuses: readonly ClusterStatus[], maintenance: readonly MaintenanceHost[] = []): Html {
  const underMaintenance = new Map(maintenance.map((m) => [m.host, m]));
  const rows = statuses.map((s) => {
    const c = s.cluster;
    const ph = proxyHealth(s);
    return html`<tr>
      <th scope="row"><a href="${clusterHref(c.name)}">${c.name}</a></th>
      <td>${c.hostnames.length === 0 ? html`<span class="muted">none</span>` : html`<ul class="plain">${c.hostnames.map((h) => html`<li>${h}</li>`)}</ul>`}</td>
      <td>${c.edge}</td>
      <td class="num">${c.member_count}</td>
      <td><span class="badge ${ph.total > 0 && ph.healthy === ph.total ? 'good' : ph.healthy === 0 ? 'bad' : 'warn'}">${ph.healthy} of ${ph.total} healthy</span></td>
      <td>${routedVariants(c)}</td>
      <td>${when(c.updated_at)}</td>
    </tr>`;
  });
  const hosts = hostsOf(statuses);
  return html`<h1>Clusters</h1>
<p><a class="button" href="/maintenance/new">New cluster</a></p>
<div class="scroll" tabindex="0" role="region" aria-labelledby="clusters-caption">
<table>
<caption id="clusters-caption">Clusters (${statuses.length})</caption>
<thead><tr><th scope="col">Cluster</th><th scope="col">Hostnames</th><th scope="col">Edge mode</th><th scope="col">Members</th><th scope="col">Proxy health</th><th scope="col">Routed variant</th><th scope="col">Last change</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="7" class="muted">No clusters yet. <a href="/maintenance/new">Create one</a>.</td></tr>`}</tbody>
</table>
</div>
<h2 id="hosts">Hosts</h2>
<p class="muted">The machines the upstreams send to (the host part of every upstream address), and the clusters that use each.</p>
<div class="scroll" tabindex="0" role="region" aria-labelledby="hosts-caption">
<table>
<caption id="hosts-caption">Hosts (${hosts.length})</caption>
<thead><tr><th scope="col">Host</th><th scope="col">Addresses</th><th scope="col">Cluster</th><th scope="col">Maintenance</th></tr></thead>
<tbody>${hosts.length > 0
    ? hosts.map((h) => html`<tr><th scope="row">${h.host}</th><td>${h.addresses.join(', ')}</td><td>${h.clusters.map((c, i) => html`${i > 0 ? ', ' : ''}<a href="${clusterHref(c)}">${c}</a>`)}</td><td>${maintenanceCell(underMaintenance.get(h.host))}</td></tr>`)
    : html`<tr><td colspan="4" class="muted">No upstreams yet.</td></tr>`}</tbody>
</table>
</div>`;
}

const pct = (share: number): string => {
  const p = Math.round(share * 1000) / 10;
  return `${Number.isInteger(p) ? p.toFixed(0) : p.toFixed(1)}%`;
};

function memberActions(m: Member | undefined, app: string, where: string): Html {
  if (!m) return html``;
  const label = m.status === 'draining' ? 'Undrain' : 'Drain';
  return html`<button type="button" data-action="${m.status === 'draining' ? 'undrain' : 'drain'}" data-app="${app}" data-key="member ${app}${where}" aria-label="${label} ${app}${where}">${label}</button>`;
}

/** The part of a cluster's page that follows the status stream: proxies, topology, members, deploy. */
export function liveBody(s: ClusterStatus, members: readonly Member[], deploy: Deploy | null): Html {
  const byApp = new Map(members.map((m) => [m.app, m]));
  const proxies = html`<section aria-labelledby="proxies-h">
<h2 id="proxies-h">Edge and proxies</h2>
<p>Edge <strong>${s.edge.mode}</strong>${s.edge.note ? html` — <span class="muted">${s.edge.note}</span>` : ''}</p>
${s.edge.error ? html`<p class="bad-text">Edge error: ${s.edge.error}</p>` : ''}
<div class="scroll" tabindex="0" role="region" aria-label="Proxies">
<table>
<caption>Proxies (${proxyHealth(s).healthy} of ${s.proxies.length} healthy, generation ${s.generation})</caption>
<thead><tr><th scope="col">Proxy</th><th scope="col">Address</th><th scope="col">State</th><th scope="col">Health</th><th scope="col">Generation</th><th scope="col">Last error</th></tr></thead>
<tbody>${s.proxies.map(
    (p) => html`<tr><th scope="row">${p.name || `proxy-${p.index}`}</th><td>${p.address}:${p.port}</td><td>${healthBadge(p.state)}</td><td>${healthBadge(p.healthz)}</td><td class="num">${p.generation_applied ?? '–'}${p.lagging ? html` <span class="badge warn">lagging</span>` : ''}</td><td>${p.last_error ?? ''}</td></tr>`,
  )}</tbody>
</table>
</div>
${s.edge.records.length > 0 ? html`<details><summary>Edge records (${s.edge.records.length})</summary><ul class="plain mono">${s.edge.records.map((r) => html`<li>${r.hostname} ${r.type} ${r.value}</li>`)}</ul></details>` : ''}
</section>`;

  const hostnames = s.hostnames.map(
    (h) => html`<section class="hostname" aria-label="Hostname ${h.hostname}">
<h3>${h.hostname} <span class="muted mono">${h.env_name}</span>${h.draining_fallback ? html` <span class="badge warn">served by draining members</span>` : ''}</h3>
<div class="scroll" tabindex="0" role="region" aria-label="Routing of ${h.hostname}">
<table class="topology">
<thead><tr><th scope="col">Variant</th><th scope="col">Upstream</th><th scope="col">Status</th><th scope="col">Share</th><th scope="col">Health</th><th scope="col">Addresses</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${h.variants.map((v) =>
      v.upstreams.length === 0
        ? html`<tr class="${v.routed ? 'routed' : 'idle'}"><th scope="row">${v.name} <span class="muted">w${v.weight}${v.routed ? '' : ' · not routed'}</span></th><td colspan="6" class="muted">no upstream for this hostname</td></tr>`
        : v.upstreams.map(
            (u, i) => html`<tr class="${v.routed ? 'routed' : 'idle'}" data-upstream="${u.id}">
  ${i === 0 ? html`<th scope="row" rowspan="${v.upstreams.length}">${v.name} <span class="muted">w${v.weight}${v.routed ? '' : ' · not routed'}</span></th>` : ''}
  <td>${u.kind === 'app' ? html`<span class="muted">app</span> ${u.target}` : html`<span class="mono">${u.target}</span>`}${u.weight !== 100 ? html` <span class="muted">w${u.weight}</span>` : ''}</td>
  <td>${healthBadge(u.status === 'active' ? 'active' : 'draining')}</td>
  <td class="num"><meter min="0" max="1" value="${u.share}" aria-hidden="true"></meter> ${pct(u.share)}</td>
  <td>${healthBadge(u.health)}</td>
  <td><ul class="plain mono">${u.addresses.map((a) => html`<li>${a.address} ${healthBadge(a.health)}</li>`)}</ul></td>
  <td>${u.kind === 'app' ? memberActions(byApp.get(u.target), u.target, ` (upstream ${u.id} of ${h.hostname})`) : ''}</td>
</tr>`,
          ),
    )}</tbody>
</table>
</div>
</section>`,
  );

  const memberRows = members.map(
    (m) => html`<tr>
  <th scope="row">${m.app}</th>
  <td>${healthBadge(m.status === 'active' ? 'active' : m.status)}</td>
  <td>${m.variants.join(', ')}</td>
  <td><ul class="plain mono">${m.addresses.map((a) => html`<li>${a}</li>`)}</ul></td>
  <td><form class="inline" data-action="weight" data-app="${m.app}">
    <label for="weight-${m.app}">Weight of ${m.app}</label>
    <input id="weight-${m.app}" name="weight" type="number" inputmode="numeric" min="0" max="${MAX_WEIGHT}" step="1" required value="${m.weight}">
    <button type="submit">Set</button>
  </form></td>
  <td>${memberActions(m, m.app, '')}</td>
</tr>`,
  );

  const deploySection =
    deploy === null
      ? ''
      : html`<section aria-labelledby="deploy-h">
<h2 id="deploy-h">Deploy #${deploy.id} <span class="badge ${deploy.state === 'failed' ? 'bad' : deploy.state === 'succeeded' ? 'good' : 'warn'}">${deploy.state}</span></h2>
<ol class="steps">${deploy.members.map((m) => html`<li><strong>${m.app}</strong> <span class="badge ${m.step === 'done' ? 'good' : m.step === 'failed' ? 'bad' : m.step === 'pending' || m.step === 'skipped' ? 'unknown' : 'warn'}">${m.step}</span>${m.error ? html` <span class="bad-text">${m.error}</span>` : ''}</li>`)}</ol>
${deploy.error ? html`<p class="bad-text">${deploy.error}</p>` : ''}
</section>`;

  return html`${switchSection(s)}
${s.warnings.length > 0 ? html`<section class="warnings" aria-label="Warnings"><ul>${s.warnings.map((w) => html`<li>${w}</li>`)}</ul></section>` : ''}
${deploySection}
${proxies}
<section aria-labelledby="topology-h">
<h2 id="topology-h">Hostnames → variants → upstreams</h2>
${hostnames.length > 0 ? hostnames : html`<p class="muted">No hostnames yet.</p>`}
</section>
<section aria-labelledby="members-h">
<h2 id="members-h">Members</h2>
${members.length > 0
    ? html`<div class="scroll" tabindex="0" role="region" aria-label="Members">
<table>
<thead><tr><th scope="col">App</th><th scope="col">Status</th><th scope="col">Variants</th><th scope="col">Addresses</th><th scope="col">Weight</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${memberRows}</tbody>
</table>
</div>`
    : html`<p class="muted">No app members (URL upstreams are not members).</p>`}
</section>`;
}

/** The header and the switch buttons (inside the live part: what is routed changes). */
function switchSection(s: ClusterStatus): Html {
  const c = s.cluster;
  const soleRouted = c.variants.filter((v) => v.weight > 0 && v.status === 'active');
  return html`<p class="muted">${c.hostnames.length} hostname${c.hostnames.length === 1 ? '' : 's'} · edge ${c.edge} · ${c.proxy_count} prox${c.proxy_count === 1 ? 'y' : 'ies'} · routed: ${routedVariants(c)}</p>
<section aria-labelledby="switch-h">
<h2 id="switch-h">Switch</h2>
<p class="muted">Route every hostname to one variant. You see the plan first.</p>
<div class="actions">${c.variants.map((v) =>
    soleRouted.length === 1 && soleRouted[0]!.name === v.name
      ? html`<button type="button" disabled aria-label="Switch to ${v.name} (already routed)">${v.name} (routed)</button>`
      : html`<button type="button" data-action="switch" data-variant="${v.name}" data-key="switch ${v.name}">Switch to ${v.name}…</button>`,
  )}</div>
</section>`;
}

/** /clusters/:name: the title, the live part, and the switch dialog. */
export function clusterBody(s: ClusterStatus, live: Html): Html {
  const c = s.cluster;
  return html`<h1>Cluster ${c.name}</h1>
<div id="live" data-cluster="${c.name}" data-events="/api/clusters/${encodeURIComponent(c.name)}/status/events" data-live="${clusterHref(c.name)}/live">${live}</div>
<dialog id="switch-dialog" aria-labelledby="switch-title">
<form method="dialog">
<h2 id="switch-title">Switch to <span data-slot="variant"></span>?</h2>
<p data-slot="summary"></p>
<div class="scroll"><table><caption>What changes (proxy env)</caption><thead><tr><th scope="col">Env var</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody data-slot="plan"></tbody></table></div>
<ul data-slot="warnings" class="warnings"></ul>
<p data-slot="refusal" class="bad-text" role="alert"></p>
<div class="actions"><button type="submit" value="confirm" class="primary" data-slot="confirm">Switch</button><button type="submit" value="cancel">Cancel</button></div>
</form>
</dialog>`;
}

/** /maintenance/new: the form for a new cluster (sent as a cluster document to POST …/apply). */
export function newClusterBody(): Html {
  return html`<h1>New cluster</h1>
<p class="muted">The same rules as <code>ownstack cluster create</code> and <code>cluster apply</code>: the control plane checks every field and the page shows what it refuses.</p>
<form id="new-cluster" data-action="create" novalidate>
<div class="field"><label for="f-name">Name</label><input id="f-name" name="name" required autocomplete="off" aria-describedby="e-name"><p class="field-error" id="e-name"></p></div>
<div class="field"><label for="f-hostnames">Hostnames <span class="muted">(one per line)</span></label><textarea id="f-hostnames" name="hostnames" rows="3" aria-describedby="e-hostnames"></textarea><p class="field-error" id="e-hostnames"></p></div>
<div class="field"><label for="f-edge">Edge mode</label><select id="f-edge" name="edge" aria-describedby="e-edge"><option value="dns_rr">dns_rr (multi-A records in a zone file)</option><option value="none">none (you manage DNS)</option></select><p class="field-error" id="e-edge"></p></div>
<div class="field"><label for="f-proxies">Proxies</label><input id="f-proxies" name="proxy_count" type="number" inputmode="numeric" min="1" value="1" aria-describedby="e-proxy_count"><p class="field-error" id="e-proxy_count"></p></div>
<fieldset><legend>First variant (optional)</legend>
<div class="field"><label for="f-variant">Variant name</label><input id="f-variant" name="variant" value="blue" autocomplete="off" aria-describedby="e-variant"><p class="field-error" id="e-variant"></p></div>
<div class="field"><label for="f-url">Upstream URL</label><input id="f-url" name="url" type="text" inputmode="url" placeholder="http://10.0.0.5:3000" autocomplete="off" aria-describedby="e-url"><p class="field-error" id="e-url"></p></div>
</fieldset>
<div class="actions"><button type="submit" class="primary">Create cluster</button></div>
</form>`;
}
