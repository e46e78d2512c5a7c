// The cluster topology as a tree: proxies, hostnames → variants → upstreams → addresses, edge.
// On a TTY: box-drawing branches and colour. Otherwise: two-space indentation, ASCII markers, no ANSI.
import type { ClusterStatus } from '../api/schemas.js';
import type { IO } from './io.js';
import { paint, symbols } from './style.js';
import { escapeControlDeep } from './text.js';
import { urlHostPort } from '../inputs/upstream-url.js';

interface Node {
  label: string;
  children?: Node[];
}

/** Draws nodes under a root line: `├─ └─ │` on a TTY, indentation otherwise. */
function drawTree(root: string, nodes: Node[], fancy: boolean): string[] {
  const lines = [root];
  const walk = (list: Node[], prefix: string) => {
    list.forEach((n, i) => {
      const last = i === list.length - 1;
      if (fancy) {
        lines.push(`${prefix}${last ? '└─ ' : '├─ '}${n.label}`);
        if (n.children?.length) walk(n.children, prefix + (last ? '   ' : '│  '));
      } else {
        lines.push(`${prefix}${n.label}`);
        if (n.children?.length) walk(n.children, prefix + '  ');
      }
    });
  };
  walk(nodes, fancy ? '' : '  ');
  return lines;
}

/** `0.333…` → `33.3%`, `1` → `100%`. */
export function formatShare(share: number): string {
  const pct = share * 100;
  const rounded = Math.round(pct * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)}%`;
}

/** How long ago an ISO time was: `4s ago`, `3m ago`, `2h ago`, `5d ago`. */
export function formatAge(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** Renders a ClusterStatus as a tree, followed by the deploy in progress and warnings (`now`: for heartbeat ages). */
export function renderTopology(io: IO, status: ClusterStatus, now: number = Date.now()): string {
  // Every string comes from the control plane: no control character may reach the terminal.
  const s = escapeControlDeep(status);
  const fancy = io.stdoutIsTTY;
  const c = paint(io);
  const on = fancy ? symbols.active : '*';
  const off = fancy ? symbols.inactive : 'o';
  const join = (...parts: (string | false | null | undefined)[]) => parts.filter(Boolean).join('  ');

  const health = (h: 'healthy' | 'unhealthy' | 'unknown') =>
    h === 'healthy' ? c.green(h) : h === 'unhealthy' ? c.red(h) : c.dim(h);
  const proxyState = (st: string) =>
    st === 'running' || st === 'external' ? c.green(st) : st === 'failed' ? c.red(st) : c.yellow(st);
  const healthz = (h: string) => (h === 'ok' ? c.green(`healthz ${h}`) : h === 'failing' ? c.red(`healthz ${h}`) : c.dim(`healthz ${h}`));

  // Proxies
  const proxyNodes: Node[] = s.proxies.map((p) => {
    const gen =
      p.generation_applied === null
        ? c.dim('generation -')
        : p.generation_applied < s.generation
          ? c.yellow(`generation ${p.generation_applied} (behind ${s.generation})`)
          : `generation ${p.generation_applied}`;
    const up = p.state === 'running' || p.state === 'external';
    const edge = p.edge === null ? null : p.edge === 'published' ? c.green('edge published') : p.edge === 'refused' ? c.red('edge refused') : c.yellow('edge out');
    return {
      label: join(
        `${up ? c.green(on) : c.red(off)} ${p.address}:${p.port}`,
        proxyState(p.state),
        healthz(p.healthz),
        gen,
        p.lagging && c.yellow('lagging'),
        p.pid !== null && `pid ${p.pid}`,
        // What an agent reports: its name and host, its version, and when it last reported.
        p.host !== null && `${p.name} on ${p.host}`,
        p.agent_version !== null && `agent ${p.agent_version}`,
        p.last_seen !== null && `seen ${formatAge(p.last_seen, now)}`,
        edge,
        p.last_error && c.red(`error: ${p.last_error}`),
      ),
      ...(p.edge_reason !== null && p.edge !== 'published' ? { children: [{ label: (p.edge === 'refused' ? c.red : c.yellow)(`edge: ${p.edge_reason}`) }] } : {}),
    };
  });
  if (s.proxy_note) proxyNodes.push({ label: c.yellow(`note: ${s.proxy_note}`) });
  if (proxyNodes.length === 0) proxyNodes.push({ label: c.dim('no proxies') });

  // Hostnames → variants → upstreams → addresses
  const hostNodes: Node[] = s.hostnames.map((h) => {
    const variants: Node[] = h.variants.map((v) => {
      const mark = v.routed ? c.green(on) : c.dim(off);
      const label = join(
        `${mark} ${v.routed ? c.bold(v.name) : v.name}`,
        `weight ${v.weight}`,
        v.status === 'active' ? v.status : c.yellow(v.status),
        v.routed ? c.green('routed') : c.dim('standby'),
      );
      const upstreams: Node[] = v.upstreams.map((u) => {
        const target = u.kind === 'app' ? `app ${u.target}` : u.target;
        // An address list that is just the URL itself adds nothing; show its health inline.
        const own = u.addresses.length === 1 && u.addresses[0].address === u.target;
        const children: Node[] = own
          ? []
          : u.addresses.map((a) => ({ label: a.health === 'unknown' ? a.address : join(a.address, health(a.health)) }));
        return {
          label: join(
            target,
            // What the proxy really sends: a URL upstream gets its own host:port through its bridge.
            `host ${u.host_sent ?? u.host_header ?? (u.kind === 'url' ? urlHostPort(u.target) : h.hostname)}`,
            `weight ${u.weight}`,
            c.bold(`share ${formatShare(u.share)}`),
            u.status === 'active' ? undefined : c.yellow(u.status),
            (own || u.addresses.length === 0) && u.health !== 'unknown' && health(u.health),
            u.addresses.length === 0 && c.yellow('no addresses'),
          ),
          children,
        };
      });
      if (upstreams.length === 0) upstreams.push({ label: c.dim('no upstreams for this hostname') });
      return { label, children: upstreams };
    });
    if (h.draining_fallback) variants.unshift({ label: c.yellow('draining fallback: no active upstream left, draining ones keep receiving traffic') });
    if (variants.length === 0) variants.push({ label: c.dim('no variants') });
    return { label: join(c.bold(h.hostname), c.dim(h.env_name)), children: variants };
  });

  // Edge
  const edgeChildren: Node[] = s.edge.records.map((r) => ({ label: `${r.type} ${r.hostname} ${r.value}` }));
  if (s.edge.records.length === 0) edgeChildren.push({ label: c.dim('no records') });
  if (s.edge.targets) {
    const states: Record<string, (t: string) => string> = { healthy: c.green, unhealthy: c.red, draining: c.yellow, initial: c.yellow };
    const targets: Node[] = s.edge.targets.map((t) => ({ label: join(t.target, (states[t.state] ?? c.dim)(t.state), t.reason ? c.dim(t.reason) : false) }));
    if (targets.length === 0) targets.push({ label: c.dim('no targets registered') });
    edgeChildren.push({ label: 'target health (the provider’s view)', children: targets });
  }
  if (s.edge.note) edgeChildren.push({ label: c.dim(`note: ${s.edge.note}`) });
  if (s.edge.error) edgeChildren.push({ label: c.red(`error: ${s.edge.error}`) });

  const nodes: Node[] = [
    { label: `proxies (${s.proxies.length})`, children: proxyNodes },
    ...(hostNodes.length ? hostNodes : [{ label: c.dim(`no hostnames (ownstack cluster domain add ${s.cluster.name} <hostname>)`) }]),
    {
      label: join(`edge ${s.edge.mode}`, s.edge.reconciled_at ? `reconciled ${s.edge.reconciled_at}` : c.dim('not reconciled yet')),
      children: edgeChildren,
    },
  ];

  const root = join(c.bold(s.cluster.name), `edge ${s.cluster.edge}`, `generation ${s.generation}`);
  const lines = drawTree(root, nodes, fancy);
  if (s.deploy) lines.push(c.cyan(`deploy ${s.deploy.id} in progress (${s.deploy.state})`));
  for (const w of s.warnings) lines.push(`${c.yellow(symbols.warn)} ${w}`);
  return lines.join('\n');
}
