// The agent's connection to its control plane: long-polls the cluster's config (the control plane
// answers as soon as a generation newer than the agent's exists, or after `wait` seconds with 204)
// and posts reports. Every request reads the token file again (so a rotated token is picked up)
// and sends it only to the control plane's URL.
import { readFileSync } from 'node:fs';
import { agentConfig, agentReportResult, type AgentConfig, type AgentReport } from '../api/agent.js';
import { defaultTransport, type Transport } from '../api/transport.js';

/** How an agent finds its control plane: a URL, or (local replicas) the control plane's server.json. */
export type ServerLocator = { url: string } | { infoFile: string };

export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export interface LinkOptions {
  server: ServerLocator;
  tokenFile: string;
  cluster: string;
  env: NodeJS.ProcessEnv;
}

export class ControlPlaneLink {
  private transport: Promise<Transport> | null = null;

  constructor(private readonly o: LinkOptions) {}

  /** The control plane's base URL now (server.json is read again each time: its port may change). */
  baseUrl(): string {
    if ('url' in this.o.server) return this.o.server.url.replace(/\/+$/, '');
    let info: { url?: unknown };
    try {
      info = JSON.parse(readFileSync(this.o.server.infoFile, 'utf8')) as { url?: unknown };
    } catch (err) {
      throw new LinkError(`the control plane is not running (${this.o.server.infoFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, null);
    }
    if (typeof info.url !== 'string') throw new LinkError(`${this.o.server.infoFile} names no URL`, null);
    return info.url.replace(/\/+$/, '');
  }

  private token(): string {
    let token: string;
    try {
      token = readFileSync(this.o.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new LinkError(`cannot read the token file ${this.o.tokenFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, null);
    }
    if (token === '') throw new LinkError(`the token file ${this.o.tokenFile} is empty`, null);
    return token;
  }

  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    this.transport ??= defaultTransport(this.o.env);
    const transport = await this.transport;
    const url = new URL(`${this.baseUrl()}${path}`);
    let res;
    try {
      res = await transport(url, {
        method,
        headers: { authorization: `Bearer ${this.token()}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new LinkError(`cannot reach the control plane at ${url.origin} (${e.code ?? e.message})`, null);
    }
    const text = await res.text();
    if (res.status >= 400) {
      let message = `HTTP ${res.status}`;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        /* not our error body */
      }
      throw new LinkError(`the control plane answered ${res.status}: ${message}`, res.status);
    }
    return { status: res.status, text };
  }

  /** The config of a generation newer than `after` (null: none arrived within `waitS` seconds). */
  async config(after: number | null, waitS: number, signal?: AbortSignal): Promise<AgentConfig | null> {
    const q = new URLSearchParams({ wait: String(waitS) });
    if (after !== null) q.set('after', String(after));
    const res = await this.send('GET', `/api/clusters/${encodeURIComponent(this.o.cluster)}/agent/config?${q}`, undefined, signal);
    if (res.status === 204) return null;
    try {
      return agentConfig.parse(JSON.parse(res.text));
    } catch (err) {
      throw new LinkError(`the control plane sent a config this agent cannot read (${(err as Error).message.slice(0, 300)}): upgrade the agent`, res.status);
    }
  }

  /** Sends a report; returns the cluster's current generation. */
  async report(r: AgentReport, signal?: AbortSignal): Promise<number> {
    const res = await this.send('POST', `/api/clusters/${encodeURIComponent(this.o.cluster)}/agent/report`, r, signal);
    return agentReportResult.parse(JSON.parse(res.text)).generation;
  }
}
