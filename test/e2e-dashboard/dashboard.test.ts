// The web dashboard in a real browser (Debian's chromium, headless, through playwright-core),
// against the local control plane the built CLI starts, with real proxies (Caddy + agents) and real
// upstreams: sign in through the one-time link, see the walkthrough's cluster, drain and undrain a
// member (and watch `cluster status` and the proxies agree), switch with the plan shown and
// confirmed, see a refused switch, create a cluster (a bad URL refused in the page, then a good
// one), and the refusals without a session or with a bad CSRF token. Saves the screenshots of each
// page (light and dark) in docs/screenshots/ and prints the page weights and the drain time.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../helpers/http.js';
import { assertBuilt, cleanupHome, e2eHome, ok, okJson, ownstack, ROOT, startUpstreams, type Upstream } from '../helpers/e2e.js';
import { contrastFailures, launchBrowser, pageWeight, unnamedControls } from './browser.js';

// page.evaluate callbacks run in the browser; the project compiles without the DOM library.
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const SHOTS = join(ROOT, 'docs', 'screenshots');
const HOST = 'api.example.com';

let home: string;
let ups: Upstream[];
let closeUpstreams: () => Promise<void>;
let browser: { context: BrowserContext; close: () => Promise<void> };
let page: Page;
let base: string;
const measured: string[] = [];

interface Status {
  cluster: { name: string; variants: { name: string; weight: number }[] };
  proxies: { address: string; port: number; state: string }[];
  hostnames: { hostname: string; variants: { name: string; routed: boolean; upstreams: { target: string; status: string; weight: number }[] }[] }[];
}

/** One GET through a proxy with a Host header: the body (the upstream's name), or '' on failure. */
function answer(address: string, port: number, host: string): Promise<string> {
  return get(address, port, host, '/', { timeoutMs: 3_000 }).then(
    (r) => (r.status === 200 ? r.body.trim() : `HTTP ${r.status}`),
    () => '',
  );
}

async function proxies(): Promise<{ address: string; port: number }[]> {
  const st = await okJson<Status>(home, ['cluster', 'status', 'api']);
  return st.proxies;
}

/**
 * Sends requests through every proxy until `streak` answers in a row are all in `bodies` (and, with
 * `all`, each of `bodies` was seen in the streak). Returns when the streak began (ms since epoch).
 */
async function serveOnly(bodies: string[], opts: { streak?: number; all?: boolean; timeoutMs?: number } = {}): Promise<number> {
  const list = await proxies();
  const streak = opts.streak ?? 40;
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let start = 0;
  let run: string[] = [];
  let last = '';
  for (let i = 0; Date.now() < deadline; i++) {
    const p = list[i % list.length]!;
    const sent = Date.now();
    const body = await answer(p.address, p.port, HOST);
    last = body;
    if (!bodies.includes(body)) {
      run = [];
      continue;
    }
    if (run.length === 0) start = sent;
    run.push(body);
    if (run.length >= streak && (!opts.all || bodies.every((b) => run.includes(b)))) return start;
  }
  throw new Error(`the proxies did not serve only ${bodies.join('|')} in time (last answer: ${last})`);
}

async function shoot(name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await contrastFailures(page), `contrast on ${name} (${scheme})`).toEqual([]);
    await page.screenshot({ path: join(SHOTS, `${name}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function loginLink(): Promise<string> {
  const r = await ok(home, ['dashboard']);
  const url = r.stdout.trim();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?code=[A-Za-z0-9_-]{43}$/);
  return url;
}

const liveReady = async () => {
  await page.locator('html[data-ready="true"]').waitFor();
  await page.locator('#live[data-stream="open"]').waitFor();
};

beforeAll(async () => {
  assertBuilt();
  mkdirSync(SHOTS, { recursive: true });
  home = e2eHome('dashboard');
  ({ upstreams: ups, close: closeUpstreams } = await startUpstreams(['blue-1', 'blue-2', 'green']));
  // The walkthrough's cluster, with the blue variant's two addresses as two members (one can drain
  // while the other serves), and a variant with no upstream (a switch to it is refused).
  await ok(home, ['cluster', 'create', 'api', '--edge=dns_rr', '--proxy-count=2']);
  await ok(home, ['cluster', 'domain', 'add', 'api', HOST]);
  await ok(home, ['cluster', 'domain', 'add', 'api', 'app.example.com']);
  await ok(home, ['cluster', 'variant', 'add', 'api', 'blue', '--weight=100']);
  await ok(home, ['cluster', 'variant', 'add', 'api', 'green', '--weight=0']);
  await ok(home, ['cluster', 'variant', 'add', 'api', 'empty', '--weight=0']);
  await ok(home, ['local', 'app', 'add', 'blue-a', `--addr=${ups[0]!.addr}`]);
  await ok(home, ['local', 'app', 'add', 'blue-b', `--addr=${ups[1]!.addr}`]);
  await ok(home, ['cluster', 'upstream', 'add', 'api', '--variant=blue', `--hostname=${HOST}`, '--app=blue-a']);
  await ok(home, ['cluster', 'upstream', 'add', 'api', '--variant=blue', `--hostname=${HOST}`, '--app=blue-b']);
  await ok(home, ['cluster', 'upstream', 'add', 'api', '--variant=green', `--hostname=${HOST}`, `--url=${ups[2]!.url}`]);
  await serveOnly(['blue-1', 'blue-2'], { all: true, timeoutMs: 30_000 });
  browser = await launchBrowser();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cleanupHome(home);
  await closeUpstreams?.();
  if (measured.length > 0) process.stderr.write(`\ndashboard measurements:\n${measured.map((m) => `  ${m}`).join('\n')}\n`);
});

describe('the web dashboard in chromium', { timeout: 120_000 }, () => {
  it('refuses the pages without a session, and signs in through the one-time link', async () => {
    const url = await loginLink();
    base = url.slice(0, url.indexOf('/login'));
    const anon = await page.goto(`${base}/maintenance`);
    expect(anon?.status()).toBe(401);
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');

    await page.goto(url);
    await page.waitForURL(`${base}/maintenance`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Clusters');
    const cookies = await browser.context.cookies(base);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });

    // The same link a second time (another browser's attempt) is refused.
    const again = await browser.context.newPage();
    const second = await again.goto(url);
    expect(second?.status()).toBe(403);
    await expect(again.locator('h1').textContent()).resolves.toBe('This login link does not work');
    await again.close();
  });

  it('/maintenance: the Clusters table and the Hosts table with their Cluster column', async () => {
    const weight = await pageWeight(page, `${base}/maintenance`, () => page.locator('html[data-ready="true"]').waitFor());
    measured.push(`/maintenance: ${weight.bytes} bytes over ${weight.requests.length} requests (cold cache)`);
    const row = page.locator('table:has(caption:text("Clusters")) tbody tr', { hasText: 'api' });
    await expect(row.locator('th').textContent()).resolves.toBe('api');
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toContain(HOST);
    expect(cells[0]).toContain('app.example.com');
    expect(cells[1]).toBe('dns_rr');
    expect(cells[2]).toBe('2');
    expect(cells[3]).toBe('2 of 2 healthy');
    expect(cells[4]).toBe('blue');
    expect(cells[5]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    const hosts = await page.locator('table:has(caption:text("Hosts")) tbody tr').allTextContents();
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toContain('127.0.0.1');
    expect(hosts[0]).toContain(ups[0]!.addr);
    expect(hosts[0]).toContain(ups[2]!.addr);
    expect(hosts[0]).toContain('api');
    expect(hosts[0]).toContain('in service');
    expect(await unnamedControls(page)).toEqual([]);
    await shoot('clusters');
  });

  it('the cluster page draws the topology and follows the status stream', async () => {
    await page.getByRole('link', { name: 'api', exact: true }).first().click();
    await page.waitForURL(`${base}/clusters/api`);
    await liveReady();
    const weight = await pageWeight(page, `${base}/clusters/api`, liveReady);
    measured.push(`/clusters/api: ${weight.bytes} bytes over ${weight.requests.length} requests (cold cache; the event stream not counted)`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Cluster api');
    const api = page.locator(`section[aria-label="Hostname ${HOST}"]`);
    await expect(api.locator('tbody tr').count()).resolves.toBe(4);
    await expect(api.locator('tr', { hasText: 'blue-a' }).textContent()).resolves.toContain('50%');
    await expect(api.locator('tr', { hasText: 'green' }).textContent()).resolves.toContain('not routed');
    expect(await unnamedControls(page)).toEqual([]);

    // A change made elsewhere (the CLI) shows up without a reload.
    const updates = Number(await page.locator('#live').getAttribute('data-updates') ?? '0');
    await ok(home, ['cluster', 'member', 'weight', 'api', 'blue-b', '300']);
    await page.locator('#weight-blue-b[value="300"]').waitFor();
    expect(Number(await page.locator('#live').getAttribute('data-updates'))).toBeGreaterThan(updates);
    await expect(api.locator('tr', { hasText: 'blue-b' }).textContent()).resolves.toContain('75%');
    await shoot('cluster');
  });

  it('a weight edit in the page goes through the API', async () => {
    await page.locator('#weight-blue-b').fill('100');
    await page.locator('form[data-app="blue-b"] button').click();
    await page.locator('#notice', { hasText: 'Set the weight of blue-b to 100.' }).waitFor();
    const st = await okJson<Status>(home, ['cluster', 'status', 'api']);
    const b = st.hostnames.find((h) => h.hostname === HOST)!.variants.find((v) => v.name === 'blue')!.upstreams.find((u) => u.target === 'blue-b')!;
    expect(b.weight).toBe(100);
  });

  it('drain (by keyboard) takes the member out of the proxies; cluster status agrees; undrain puts it back', async () => {
    const drain = page.getByRole('button', { name: 'Drain blue-a', exact: true });
    await drain.focus();
    const clicked = Date.now();
    await page.keyboard.press('Enter');
    const served = await serveOnly(['blue-2'], { streak: 60 });
    const ms = Math.max(0, served - clicked);
    measured.push(`drain click → proxies serving without the member: ${ms} ms (first request of 60 in a row that all went to the other member)`);
    // About 1.2 s on an idle 2-core machine (the agents are woken at once; Caddy's answer lives 1 s);
    // the bound leaves room for a machine busy with other suites.
    expect(ms).toBeLessThan(15_000);
    await page.locator('#notice', { hasText: 'Drained blue-a' }).waitFor();
    // The page, cluster status and the proxies agree.
    await page.getByRole('button', { name: 'Undrain blue-a', exact: true }).waitFor();
    const st = await okJson<Status>(home, ['cluster', 'status', 'api']);
    const blue = st.hostnames.find((h) => h.hostname === HOST)!.variants.find((v) => v.name === 'blue')!;
    expect(blue.upstreams.map((u) => [u.target, u.status])).toEqual([
      ['blue-a', 'draining'],
      ['blue-b', 'active'],
    ]);
    await expect(page.locator(`section[aria-label="Hostname ${HOST}"] tr`, { hasText: 'blue-a' }).textContent()).resolves.toContain('draining');
    await shoot('cluster-drained');

    const undrainClicked = Date.now();
    await page.getByRole('button', { name: 'Undrain blue-a', exact: true }).click();
    const both = await serveOnly(['blue-1', 'blue-2'], { streak: 20, all: true });
    measured.push(`undrain click → proxies serving the member again: ${Math.max(0, both - undrainClicked)} ms`);
    await page.getByRole('button', { name: 'Drain blue-a', exact: true }).waitFor();
    const after = await okJson<Status>(home, ['cluster', 'status', 'api']);
    expect(after.hostnames.find((h) => h.hostname === HOST)!.variants.find((v) => v.name === 'blue')!.upstreams.every((u) => u.status === 'active')).toBe(true);
  });

  it('switch: the plan (env diff) is shown, confirmed, applied; and back', async () => {
    await page.getByRole('button', { name: 'Switch to green…' }).click();
    const dialog = page.locator('#switch-dialog');
    await dialog.locator('[data-slot="plan"] tr').first().waitFor();
    const rows = await dialog.locator('[data-slot="plan"] tr').allTextContents();
    expect(rows.some((r) => r.includes('CLUSTER_UPSTREAMS_API_EXAMPLE_COM') && r.includes(`${ups[0]!.addr} ${ups[1]!.addr}`) && r.includes(ups[2]!.url))).toBe(true);
    // Nothing changed yet: the plan was a dry run.
    const before = await okJson<Status>(home, ['cluster', 'status', 'api']);
    expect(before.cluster.variants.find((v) => v.name === 'blue')!.weight).toBe(100);
    await shoot('switch-plan');
    await dialog.getByRole('button', { name: 'Switch', exact: true }).click();
    await page.locator('#notice', { hasText: 'Switched to green' }).waitFor();
    await serveOnly(['green'], { streak: 20 });
    const st = await okJson<Status>(home, ['cluster', 'status', 'api']);
    expect(st.hostnames.find((h) => h.hostname === HOST)!.variants.filter((v) => v.routed).map((v) => v.name)).toEqual(['green']);

    await page.getByRole('button', { name: 'Switch to blue…' }).click();
    await dialog.locator('[data-slot="plan"] tr').first().waitFor();
    await dialog.getByRole('button', { name: 'Switch', exact: true }).click();
    await page.locator('#notice', { hasText: 'Switched to blue' }).waitFor();
    await serveOnly(['blue-1', 'blue-2'], { streak: 20, all: true });
  });

  it('a refused switch shows the refusal and offers no confirm', async () => {
    await page.getByRole('button', { name: 'Switch to empty…' }).click();
    const dialog = page.locator('#switch-dialog');
    const refusal = dialog.locator('[data-slot="refusal"]');
    await refusal.filter({ hasText: 'would leave a hostname that is served now with no upstream' }).waitFor();
    await expect(refusal.textContent()).resolves.toContain(HOST);
    await expect(dialog.getByRole('button', { name: 'Switch', exact: true }).isVisible()).resolves.toBe(false);
    await shoot('switch-refused');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    const st = await okJson<Status>(home, ['cluster', 'status', 'api']);
    expect(st.cluster.variants.find((v) => v.name === 'blue')!.weight).toBe(100);
  });

  it('Clusters → New: a bad URL is refused in the page with the API\'s message; a good one creates the cluster', async () => {
    const weight = await pageWeight(page, `${base}/maintenance/new`, () => page.locator('html[data-ready="true"]').waitFor());
    measured.push(`/maintenance/new: ${weight.bytes} bytes over ${weight.requests.length} requests (cold cache)`);
    expect(await unnamedControls(page)).toEqual([]);
    await page.getByLabel('Name', { exact: true }).fill('web');
    await page.getByLabel('Hostnames').fill('web.example.com');
    await page.getByLabel('Upstream URL').fill('ftp://10.0.0.5');
    await page.getByRole('button', { name: 'Create cluster' }).click();
    const error = page.locator('#e-url');
    await error.filter({ hasText: /./ }).waitFor();
    const message = (await error.textContent())!;
    await expect(page.getByLabel('Upstream URL').getAttribute('aria-invalid')).resolves.toBe('true');
    // The CLI refuses the same URL with the same rule (one shared schema).
    await ok(home, ['cluster', 'create', 'probe', '--edge=none']);
    await ok(home, ['cluster', 'variant', 'add', 'probe', 'v']);
    const cli = await ownstack(home, ['cluster', 'upstream', 'add', 'probe', '--variant=v', '--url=ftp://10.0.0.5']);
    expect(cli.exitCode).toBe(2);
    expect(cli.stderr).toContain(message.replace(/^.*?: /, ''));
    await ok(home, ['cluster', 'destroy', 'probe', '--yes']);
    const missing = await ownstack(home, ['cluster', 'show', 'web']);
    expect(missing.exitCode).toBe(3);
    await shoot('new-cluster-refused');

    await page.getByLabel('Upstream URL').fill(ups[2]!.url);
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.waitForURL(`${base}/clusters/web`);
    await liveReady();
    const st = await okJson<Status>(home, ['cluster', 'status', 'web']);
    expect(st.hostnames.map((h) => h.hostname)).toEqual(['web.example.com']);
    expect(st.hostnames[0]!.variants[0]!.upstreams[0]!.target).toBe(ups[2]!.url);
  });

  it('an API request without the session, or with a bad CSRF token, is refused and changes nothing', async () => {
    await page.goto(`${base}/clusters/api`);
    await liveReady();
    const answers = await page.evaluate(async () => {
      const token = document.querySelector('meta[name="csrf-token"]')!.getAttribute('content')!;
      const post = (headers: Record<string, string>) =>
        fetch('/api/clusters/api/members/blue-a/drain', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: { message: string } } }));
      return { none: await post({}), bad: await post({ 'x-csrf-token': `${token}x` }), read: (await fetch('/api/clusters/api/status')).status };
    });
    expect(answers.none.status).toBe(403);
    expect(answers.none.body.error.message).toContain('CSRF');
    expect(answers.bad.status).toBe(403);
    expect(answers.read).toBe(200);
    // No cookie at all (another client): 401, for the API and for the pages.
    const anon = await fetch(`${base}/api/clusters/api/members/blue-a/drain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anon.status).toBe(401);
    expect((await fetch(`${base}/api/clusters/api/status/events`)).status).toBe(401);
    expect((await fetch(`${base}/clusters/api`)).status).toBe(401);
    const st = await okJson<Status>(home, ['cluster', 'status', 'api']);
    expect(st.hostnames.find((h) => h.hostname === HOST)!.variants.find((v) => v.name === 'blue')!.upstreams.every((u) => u.status === 'active')).toBe(true);
  });

  it('reads on a phone: no sideways scrolling of the page, the tables scroll in place', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/maintenance', '/clusters/api', '/maintenance/new']) {
      await page.goto(`${base}${path}`);
      await page.locator('html[data-ready="true"]').waitFor();
      const wide = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width) return [];
        // What sticks out (for the failure message).
        return [...document.querySelectorAll('body *')]
          .filter((el: any) => el.getBoundingClientRect().right > width + 1 && !el.parentElement.closest('.scroll'))
          .slice(0, 8)
          .map((el: any) => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)}px`);
      });
      expect(wide, path).toEqual([]);
    }
    await page.goto(`${base}/clusters/api`);
    await liveReady();
    await shoot('cluster-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('sign out ends the session', async () => {
    await page.goto(`${base}/maintenance`);
    await page.locator('html[data-ready="true"]').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/maintenance`);
    await page.locator('h1', { hasText: 'Sign in' }).waitFor();
    expect(await browser.context.cookies(base)).toEqual([]);
  });
});
