// A real browser for the dashboard tests: Debian's chromium driven by playwright-core (no browser
// download), headless, with a fresh profile; plus what the tests measure in it (bytes on the wire,
// contrast, accessible names).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

// The functions given to page.evaluate run in the browser; the project compiles without the DOM library.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const getComputedStyle: any;
declare const NodeFilter: any;
type Element = any;

export const CHROMIUM = process.env.OWNSTACK_CHROMIUM ?? '/usr/bin/chromium';

/** A browser with a fresh profile; close() removes the profile. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set OWNSTACK_CHROMIUM)`);
  const profile = mkdtempSync(join(tmpdir(), 'ownstack-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // Everything the page needs is on the control plane: no proxy, nothing from outside.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-proxy-server'],
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Loads `url` with the cache off and sums the bytes received for every request the page makes
 * (headers and bodies as they came over the wire; the open event stream is not counted: it never
 * finishes). Returns the total and the per-request list.
 */
export async function pageWeight(page: Page, url: string, ready: () => Promise<void>): Promise<{ bytes: number; requests: { url: string; bytes: number }[] }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const pending = new Map<string, string>();
  const done: { url: string; bytes: number }[] = [];
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.type !== 'EventSource') pending.set(e.requestId, e.request.url);
  });
  cdp.on('Network.loadingFinished', (e) => {
    const u = pending.get(e.requestId);
    if (u === undefined) return;
    pending.delete(e.requestId);
    done.push({ url: u, bytes: e.encodedDataLength });
  });
  await page.goto(url);
  await ready();
  const deadline = Date.now() + 10_000;
  while (pending.size > 0 && Date.now() < deadline) await page.waitForTimeout(20);
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await cdp.detach();
  return { bytes: done.reduce((n, r) => n + r.bytes, 0), requests: done };
}

/** Text that fails WCAG AA contrast (4.5:1; 3:1 for large text) against its background, as seen now. */
export async function contrastFailures(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const parse = (c: string): number[] | null => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return null;
      const parts = m[1]!.split(/[ ,/]+/).filter(Boolean).map(Number);
      return [parts[0]!, parts[1]!, parts[2]!, parts[3] ?? 1];
    };
    const lum = ([r, g, b]: number[]) => {
      const ch = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * ch(r!) + 0.7152 * ch(g!) + 0.0722 * ch(b!);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg && bg[3]! > 0.9) return bg;
      }
      return parse(getComputedStyle(document.documentElement).backgroundColor) ?? [255, 255, 255, 1];
    };
    const failures: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent?.trim() ?? '';
      const el = n.parentElement;
      if (text === '' || !el) continue;
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      if (style.visibility === 'hidden' || style.display === 'none' || rect.width === 0 || rect.height === 0 || el.closest('[disabled], .sr-only, dialog:not([open])')) continue;
      const fg = parse(style.color);
      if (!fg) continue;
      const a = lum(fg);
      const b = lum(background(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) failures.push(`${ratio.toFixed(2)}:1 "${text.slice(0, 40)}" (${style.color} on ${background(el).join(',')})`);
    }
    return failures;
  });
}

/** Form controls and buttons without an accessible name (a label, aria-label or text). */
export async function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll('input, select, textarea, button, a[href]') as any[]) {
      const labelled = el.labels?.length ?? 0;
      const name = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.textContent?.trim();
      if (!name && labelled === 0) out.push(el.outerHTML.slice(0, 80));
    }
    return out;
  });
}
