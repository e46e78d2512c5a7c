// A fake Cloudflare API v4 on 127.0.0.1: zones, DNS records, the v4 envelope, pagination, token
// check, and injectable failures (429 + Retry-After, 200 with success:false, the Nth write failing).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CfRecordedRequest {
  method: string;
  /** Path below the API base, e.g. /zones/<id>/dns_records */
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
  /** The injected failure this request got, if any. */
  injected?: string;
}

export interface CfDnsRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  type: string;
  name: string;
  content: string;
  proxied: boolean;
  ttl: number;
  comment: string | null;
}

export interface CfInjection {
  /** Which requests it applies to (default: any). */
  when?: 'any' | 'read' | 'write' | ((req: CfRecordedRequest) => boolean);
  /** Let this many matching requests through first (the (skip+1)th match fails). */
  skip?: number;
  /** How many matching requests fail (default 1). */
  times?: number;
  status: number;
  headers?: Record<string, string>;
  errors?: { code: number; message: string }[];
  /** Send this raw body instead of an envelope. */
  rawBody?: string;
  /** Carry the request out, then answer with the failure anyway (a write that landed but whose answer was lost). */
  applyAnyway?: boolean;
  label: string;
}

export interface CloudflareFakeOptions {
  /** The token it accepts (several: e.g. the old and the new one of a rotation). */
  token: string | string[];
  zoneId: string;
  zoneName: string;
  /** Cap on per_page, to force pagination with few records (Cloudflare's own cap is larger). */
  maxPerPage?: number;
}

export interface CloudflareFake {
  /** Base URL to give the driver (…/client/v4). */
  baseUrl: string;
  requests: CfRecordedRequest[];
  records: CfDnsRecord[];
  /** Adds a record directly (not recorded as a request). */
  seed(rec: { type?: string; name: string; content: string; proxied?: boolean; comment?: string }): CfDnsRecord;
  inject(injection: CfInjection): void;
  /** Requests after the first `from` as `METHOD path?query` lines, handy for exact assertions. */
  lines(from?: number): string[];
  writes(from?: number): CfRecordedRequest[];
  close(): Promise<void>;
}

const isWrite = (method: string): boolean => method !== 'GET';

export async function startCloudflareFake(opts: CloudflareFakeOptions): Promise<CloudflareFake> {
  const requests: CfRecordedRequest[] = [];
  const records: CfDnsRecord[] = [];
  const injections: (CfInjection & { seen: number; fired: number })[] = [];
  const maxPerPage = opts.maxPerPage ?? 5000;

  const newRecord = (r: { type?: string; name: string; content: string; proxied?: boolean; comment?: string | null; ttl?: number }): CfDnsRecord => {
    const rec: CfDnsRecord = {
      id: randomBytes(16).toString('hex'),
      zone_id: opts.zoneId,
      zone_name: opts.zoneName,
      type: r.type ?? 'A',
      name: r.name,
      content: r.content,
      proxied: r.proxied ?? false,
      ttl: r.ttl ?? 1,
      comment: r.comment ?? null,
    };
    records.push(rec);
    return rec;
  };

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }
  const ok = (res: ServerResponse, result: unknown, resultInfo?: unknown): void =>
    send(res, 200, { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) });
  const failure = (res: ServerResponse, status: number, errors: { code: number; message: string }[]): void =>
    send(res, status, { success: false, errors, messages: [], result: null });

  function matches(inj: CfInjection, req: CfRecordedRequest): boolean {
    const w = inj.when ?? 'any';
    if (typeof w === 'function') return w(req);
    if (w === 'read') return !isWrite(req.method);
    if (w === 'write') return isWrite(req.method);
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.replace(/^\/client\/v4/, '');
    const rec: CfRecordedRequest = {
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(url.searchParams),
      body: raw === '' ? undefined : JSON.parse(raw),
      authorization: req.headers.authorization,
    };
    requests.push(rec);

    // Every matching injection counts the request; the first eligible one fires.
    let chosen: CfInjection | undefined;
    for (const inj of injections) {
      if (!matches(inj, rec)) continue;
      inj.seen++;
      if (chosen || inj.seen <= (inj.skip ?? 0) || inj.fired >= (inj.times ?? 1)) continue;
      inj.fired++;
      chosen = inj;
    }
    if (chosen) {
      rec.injected = chosen.label;
      if (chosen.applyAnyway) route(rec, req, { writeHead: () => undefined, end: () => undefined } as unknown as ServerResponse);
      if (chosen.rawBody !== undefined) return send(res, chosen.status, chosen.rawBody, chosen.headers);
      return send(res, chosen.status, { success: false, errors: chosen.errors ?? [], messages: [], result: null }, chosen.headers);
    }
    route(rec, req, res);
  }

  function route(rec: CfRecordedRequest, req: IncomingMessage, res: ServerResponse): void {
    const path = rec.path;

    if (!req.headers.authorization) return failure(res, 400, [{ code: 6003, message: 'Invalid request headers' }]);
    if (![opts.token].flat().some((t) => req.headers.authorization === `Bearer ${t}`)) return failure(res, 403, [{ code: 10000, message: 'Authentication error' }]);

    if (rec.method === 'GET' && path === '/user/tokens/verify') {
      return ok(res, { id: 'token-id', status: 'active' });
    }
    const zoneMatch = /^\/zones\/([^/]+)(\/dns_records(?:\/([^/]+))?)?$/.exec(path);
    if (!zoneMatch) return failure(res, 404, [{ code: 7000, message: 'No route for that URI' }]);
    if (zoneMatch[1] !== opts.zoneId) {
      return failure(res, 404, [{ code: 7003, message: 'Could not route to /zones/..., perhaps your object identifier is invalid?' }]);
    }
    if (!zoneMatch[2]) {
      if (rec.method !== 'GET') return failure(res, 405, [{ code: 10405, message: 'Method not allowed' }]);
      return ok(res, { id: opts.zoneId, name: opts.zoneName, status: 'active' });
    }
    const recordId = zoneMatch[3];
    if (!recordId && rec.method === 'GET') {
      const perPage = Math.min(Number(rec.query['per_page'] ?? 100), maxPerPage);
      const page = Number(rec.query['page'] ?? 1);
      const list = records.filter(
        (r) => (rec.query['type'] === undefined || r.type === rec.query['type']) && (rec.query['name'] === undefined || r.name === rec.query['name']),
      );
      const totalPages = Math.ceil(list.length / perPage);
      const slice = list.slice((page - 1) * perPage, page * perPage);
      return ok(res, slice, { page, per_page: perPage, count: slice.length, total_count: list.length, total_pages: totalPages });
    }
    if (!recordId && rec.method === 'POST') {
      const b = rec.body as Partial<CfDnsRecord>;
      if (!b || typeof b.name !== 'string' || typeof b.content !== 'string' || typeof b.type !== 'string') {
        return failure(res, 400, [{ code: 9000, message: 'DNS name, type and content are required' }]);
      }
      // Like Cloudflare: a name outside the zone gets the zone appended.
      const name = b.name === opts.zoneName || b.name.endsWith(`.${opts.zoneName}`) ? b.name : `${b.name}.${opts.zoneName}`;
      if (records.some((r) => r.type === b.type && r.name === name && r.content === b.content)) {
        return failure(res, 400, [{ code: 81058, message: 'An identical record already exists.' }]);
      }
      return ok(res, newRecord({ type: b.type, name, content: b.content, proxied: b.proxied ?? false, comment: b.comment ?? null, ttl: b.ttl ?? 1 }));
    }
    const index = records.findIndex((r) => r.id === recordId);
    if (index < 0) return failure(res, 404, [{ code: 81044, message: 'Record does not exist.' }]);
    if (rec.method === 'DELETE') {
      records.splice(index, 1);
      return ok(res, { id: recordId });
    }
    if (rec.method === 'PATCH') {
      Object.assign(records[index]!, rec.body as object);
      return ok(res, records[index]);
    }
    if (rec.method === 'GET') return ok(res, records[index]);
    return failure(res, 405, [{ code: 10405, message: 'Method not allowed' }]);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => failure(res, 500, [{ code: 500, message: String(err) }]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    requests,
    records,
    seed: (r) => newRecord(r),
    inject: (inj) => injections.push({ ...inj, seen: 0, fired: 0 }),
    lines: (from = 0) =>
      requests.slice(from).map((r) => {
        const q = new URLSearchParams(r.query).toString();
        return `${r.method} ${r.path}${q ? `?${q}` : ''}`;
      }),
    writes: (from = 0) => requests.slice(from).filter((r) => isWrite(r.method)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
