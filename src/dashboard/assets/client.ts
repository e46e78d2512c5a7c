// The dashboard's one script (served as /assets/dashboard-<hash>.js): it follows a cluster's
// status stream and swaps in the server-rendered live part, and sends the page's actions to the
// same API the CLI uses (with the session cookie and the CSRF token). The function runs in the
// browser: it uses nothing from this module but its own body (see CLIENT_SCRIPT).

/* eslint-disable @typescript-eslint/no-explicit-any */
// Browser globals, typed loosely: the project compiles for node, without the DOM library.
declare const document: any;
declare const location: any;
declare const EventSource: any;
declare const HTMLElement: any;
declare const CSS: any;

function dashboardClient(): void {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf: string = meta ? meta.getAttribute('content') : '';
  const notice = document.getElementById('notice');
  const errorBox = document.getElementById('error');
  const say = (msg: string): void => {
    if (errorBox) errorBox.textContent = '';
    if (notice) notice.textContent = msg;
  };
  const fail = (msg: string): void => {
    if (notice) notice.textContent = '';
    if (errorBox) errorBox.textContent = msg;
  };

  /** One API call; a refusal becomes an Error carrying the error body. */
  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data: any = null;
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
    if (!res.ok) {
      const e = data && data.error;
      const err: any = new Error(e ? e.message + (e.hint ? ` (${e.hint})` : '') : `the control plane answered HTTP ${res.status}`);
      err.body = e || null;
      err.status = res.status;
      throw err;
    }
    return data;
  }

  const live = document.getElementById('live');
  const clusterApi = live ? `/api/clusters/${encodeURIComponent(live.dataset.cluster)}` : '';

  // ---------- live updates ----------
  const keyOf = (el: any): string | null => (el && el.dataset && el.dataset.key) || (el && el.id) || null;
  let inFlight = false;
  let again = false;
  async function refresh(): Promise<void> {
    if (!live) return;
    const active = document.activeElement;
    // Never swap a field away while someone types in it: refresh when it loses focus.
    if (active && live.contains(active) && active.matches('input, select, textarea')) {
      again = true;
      return;
    }
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      const res = await fetch(live.dataset.live, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (res.status === 401) {
        location.reload();
        return;
      }
      if (res.ok) {
        const text = await res.text();
        const key = active && live.contains(active) ? keyOf(active) : null;
        live.innerHTML = text;
        live.dataset.updates = String(Number(live.dataset.updates || '0') + 1);
        if (key) {
          const target = live.querySelector(`[data-key="${CSS.escape(key)}"]`) || document.getElementById(key);
          if (target) target.focus();
        }
      }
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  }
  if (live) {
    live.addEventListener('focusout', () => {
      if (again) setTimeout(() => void refresh(), 0);
    });
    const stream = new EventSource(live.dataset.events, { withCredentials: true });
    const mark = (state: string, label: string) => {
      live.dataset.stream = state;
      live.dataset.streamLabel = label;
    };
    stream.addEventListener('open', () => mark('open', '● live'));
    stream.addEventListener('error', () => mark('closed', '○ reconnecting…'));
    stream.addEventListener('status', () => void refresh());
    stream.addEventListener('gone', () => {
      stream.close();
      fail('This cluster no longer exists.');
    });
  }

  // ---------- actions ----------
  const busy = async (el: any, work: () => Promise<void>): Promise<void> => {
    if (el) el.setAttribute('aria-busy', 'true');
    if (el && 'disabled' in el) el.disabled = true;
    try {
      await work();
    } catch (err: any) {
      fail(err.message);
    } finally {
      if (el) el.removeAttribute('aria-busy');
      if (el && 'disabled' in el) el.disabled = false;
    }
  };

  async function member(action: 'drain' | 'undrain', app: string, button: any): Promise<void> {
    await busy(button, async () => {
      await api('POST', `${clusterApi}/members/${encodeURIComponent(app)}/${action}`, {});
      say(action === 'drain' ? `Drained ${app}: the proxies send it no new requests.` : `Undrained ${app}: the proxies send it requests again.`);
      await refresh();
    });
  }

  const dialog = document.getElementById('switch-dialog');
  const slot = (name: string) => dialog.querySelector(`[data-slot="${name}"]`);
  async function switchTo(variant: string, button: any): Promise<void> {
    slot('variant').textContent = variant;
    slot('plan').replaceChildren();
    slot('warnings').replaceChildren();
    slot('refusal').textContent = '';
    slot('summary').textContent = 'Computing the plan…';
    const confirm = slot('confirm');
    confirm.hidden = false;
    await busy(button, async () => {
      let plan: any = null;
      try {
        plan = (await api('POST', `${clusterApi}/switch`, { to: variant, dry_run: true })).plan;
      } catch (err: any) {
        slot('summary').textContent = 'The control plane refuses this switch.';
        slot('refusal').textContent = err.message;
        confirm.hidden = true;
        dialog.showModal();
        return;
      }
      const changed = plan.env.filter((e: any) => e.changed);
      slot('summary').textContent = changed.length === 0 ? 'Nothing changes: the proxies already route this way.' : `${changed.length} proxy env value${changed.length === 1 ? '' : 's'} change:`;
      for (const e of changed) {
        const tr = document.createElement('tr');
        for (const text of [e.name, e.before ?? '(none)', e.after ?? '(none)']) {
          const td = document.createElement('td');
          td.textContent = text === '' ? '(empty)' : text;
          tr.append(td);
        }
        slot('plan').append(tr);
      }
      for (const w of plan.warnings) {
        const li = document.createElement('li');
        li.textContent = w;
        slot('warnings').append(li);
      }
      dialog.returnValue = '';
      dialog.showModal();
      confirm.focus();
    });
  }
  if (dialog) {
    dialog.addEventListener('close', () => {
      if (dialog.returnValue !== 'confirm') return;
      const variant = slot('variant').textContent;
      void busy(null, async () => {
        try {
          await api('POST', `${clusterApi}/switch`, { to: variant });
        } catch (err: any) {
          slot('summary').textContent = 'The control plane refused the switch.';
          slot('refusal').textContent = err.message;
          slot('confirm').hidden = true;
          dialog.showModal();
          throw err;
        }
        say(`Switched to ${variant}: every hostname now routes to it.`);
        await refresh();
      });
    });
  }

  // The fields of the New cluster form that a refusal's path points at.
  const fieldOf = (path: string): string => {
    if (/^document\.upstreams\[\d+\]\.url/.test(path)) return 'url';
    if (/^document\.(variants\[\d+\]\.name|upstreams\[\d+\]\.variant)/.test(path)) return 'variant';
    if (/^document\.hostnames/.test(path)) return 'hostnames';
    if (/^document\.proxy_count/.test(path)) return 'proxy_count';
    if (/^document\.edge/.test(path)) return 'edge';
    return 'name';
  };
  async function create(form: any): Promise<void> {
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
    const v = (n: string): string => String(form.elements[n].value).trim();
    const name = v('name');
    const variant = v('variant');
    const url = v('url');
    const count = v('proxy_count');
    const doc = {
      name,
      edge: v('edge'),
      proxy_count: /^\d+$/.test(count) ? Number(count) : count,
      hostnames: v('hostnames').split(/\s+/).filter((h: string) => h !== ''),
      variants: variant === '' && url === '' ? [] : [{ name: variant, weight: 100 }],
      upstreams: url === '' ? [] : [{ variant, url }],
    };
    await busy(form.querySelector('button[type="submit"]'), async () => {
      try {
        // An empty name still reaches the server's rules (through a valid path): the page shows their message.
        await api('POST', `/api/clusters/${encodeURIComponent(name === '' ? 'new' : name)}/apply`, { document: doc });
      } catch (err: any) {
        const field = fieldOf((err.body && err.body.field) || '');
        const input = form.elements[field];
        const slotEl = document.getElementById(`e-${field}`);
        if (slotEl) slotEl.textContent = err.body ? err.body.message : err.message;
        if (input) {
          input.setAttribute('aria-invalid', 'true');
          input.focus();
        }
        throw err;
      }
      location.assign(`/clusters/${encodeURIComponent(name)}`);
    });
  }

  document.addEventListener('click', (ev: any) => {
    const el = ev.target instanceof HTMLElement ? ev.target.closest('[data-action]') : null;
    if (!el || el.tagName === 'FORM') return;
    const action = el.dataset.action;
    if (action === 'drain' || action === 'undrain') void member(action, el.dataset.app, el);
    else if (action === 'switch') void switchTo(el.dataset.variant, el);
    else if (action === 'logout') void busy(el, async () => {
      await api('POST', '/logout');
      location.assign('/maintenance');
    });
  });
  document.addEventListener('submit', (ev: any) => {
    const form = ev.target;
    const action = form.dataset && form.dataset.action;
    if (action === 'weight') {
      ev.preventDefault();
      const app = form.dataset.app;
      const raw = String(form.elements.weight.value).trim();
      void busy(form.querySelector('button'), async () => {
        await api('PUT', `${clusterApi}/members/${encodeURIComponent(app)}/weight`, { weight: /^\d+$/.test(raw) ? Number(raw) : raw });
        say(`Set the weight of ${app} to ${raw}.`);
        form.elements.weight.blur();
        await refresh();
      });
    } else if (action === 'create') {
      ev.preventDefault();
      void create(form);
    }
  });
  document.documentElement.dataset.ready = 'true';
}

/** The script the browser runs. */
export const CLIENT_SCRIPT = `(${dashboardClient.toString()})();\n`;
