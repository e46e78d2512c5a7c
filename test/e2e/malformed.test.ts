// Exit 2 means nothing was sent: a corpus of malformed inputs, each run through the built CLI
// (bin/ownstack, or the binary) against a loopback listener that counts connections. Every one must
// exit 2, name what is wrong, print nothing on stdout, open no connection and start no local
// control plane. A few inputs the rules accept on purpose (a wildcard hostname, an IDN, a URL with
// its default port) run too and must reach the listener, so the corpus shows where the line is.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, e2eHome, localFiles, ownstack, type CliResult } from '../helpers/e2e.js';
import { existsSync } from 'node:fs';

/** A loopback API stand-in: counts connections (by client port) and records requests; answers 404. */
interface Listener {
  url: string;
  /** Connections from anything but our own probes. */
  connections(): number;
  requests: { method: string; path: string; body: string }[];
  /** Resolves once every connection accepted before it has been counted (FIFO accept queue). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

async function listen(): Promise<Listener> {
  const remotePorts: number[] = [];
  const probePorts = new Set<number>();
  const sockets = new Set<Socket>();
  const waiters = new Map<number, () => void>();
  const requests: Listener['requests'] = [];
  const server: Server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', body });
      const text = JSON.stringify({ error: { code: 'not_found', message: 'the corpus listener knows no resource' } });
      res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
      res.end(text);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    const port = s.remotePort ?? -1;
    remotePorts.push(port);
    waiters.get(port)?.();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => remotePorts.filter((p) => !probePorts.has(p)).length,
    settle: () =>
      new Promise<void>((resolve, reject) => {
        const probe = connect(port, '127.0.0.1');
        probe.on('error', reject);
        probe.on('connect', () => {
          const local = probe.localPort!;
          probePorts.add(local);
          const done = () => {
            waiters.delete(local);
            probe.destroy();
            resolve();
          };
          if (remotePorts.includes(local)) done();
          else waiters.set(local, done);
        });
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Case {
  argv: string[];
  /** What stderr must say: the flag (or argument) and, where useful, the rule. */
  says: RegExp;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

let files: string;
const file = (name: string, content: string): string => {
  const path = join(files, name);
  writeFileSync(path, content);
  return path;
};

const long = (n: number) => 'a'.repeat(n);
const HOSTNAMES = [
  'localhost', 'LOCALHOST', 'api', 'com', '*.com', '*.localhost', 'intranet.', '😀.com', 'xn--ls8h.com', 'a😀b.example.com', '♥.example.com',
  'bü€her.example', 'https://api.example.com', 'api.example.com/', 'api.example.com/v1', 'api.example.com:443', 'api.example.com?x=1', '10.0.0.1',
  '[::1]', '2001:db8::1', 'user@api.example.com', 'a..b.com', '.a.com', '-a.com', 'a-.com', 'a_b.com', 'a b.com', 'a{b}.com', 'a,b.com', "a'b.com",
  'a$b.com', 'a;b.com', 'api.*.example.com', '*api.example.com', '**.example.com', 'api.example.123', 'xn--zz.com', '', ' api.example.com',
  'api.example.com\n', 'a\tb.com', 'a\u001b.com', `${long(64)}.com`, `${long(63)}.${long(63)}.${long(63)}.${long(62)}`,
];
const URLS = [
  'https://😀.com', 'https://xn--ls8h.com', 'https://x.com/', 'https://x.com/path', 'https://x.com?a=1', 'https://x.com#f', 'ftp://x.com', 'x.com',
  'https:/x.com', 'https://x.com:0', 'https://x.com:99999', 'https://x.com:80', 'http://x.com:443', 'https://user@x.com', 'https://[::1',
  'https://a b.com', 'https://x.com:', 'https://*.x.com', 'https://a_b.com', 'https://', '', 'https://x.com\n', 'https://x{y}.com', 'https://x.com:8o8o',
];
const NAMES = ['1', '007', '42', 'a--b', 'x---y', 'A', 'Api', 'a-', 'a_b', 'a.b', 'a b', '', long(64), 'ä', '😀', 'a\u001bb'];
const REFS = ['a--b', 'A', 'a-', '😀', '0', 'a b', '1'.repeat(16)];
const WEIGHTS = ['-1', '1001', '1.5', 'abc', '0x10', '1e2', ''];
const COUNTS = ['99', '65', '-1', 'two', '1.5', ''];
const DURATIONS = ['5', '1.5s', '5 s', '0ms', '2h', 'soon', '1m30s', ''];
const HEALTH_PATHS = ['/h%', '/h%zz', '/h%2', "/h'", '/h,x', 'healthz', 'http://x/h', '/h#x', '/h x', '/h\u001b[31m', '/{x}', '/a"b', '/bücher', ''];
// (NUL cannot be passed in argv at all.)
const CONTROL = ['\u001b]0;pwned\u0007', '\r', '\t', '\n', '\u007f', '\u0085', '\u202e', '\u0001'];
const IDS = ['0', '-1', 'abc', '1.5', '1e3'];
const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef';
const RFC = ['--dns-provider=rfc2136', '--dns-server=ns1.example.com:53', '--dns-zone=example.com', '--dns-tsig-name=ownstack-update.'];

function corpus(): Case[] {
  const cases: Case[] = [];
  const add = (argv: string[], says: RegExp, extra: Partial<Case> = {}) => cases.push({ argv, says, ...extra });
  // Every hostname where a hostname is typed; the three flags share one schema, so each value goes
  // through two of them (rotating) rather than all, to keep the run short.
  const hostFlags: ((h: string) => Case)[] = [
    (h) => ({ argv: ['cluster', 'create', 'c', `--hostname=${h}`], says: /--hostname/ }),
    (h) => ({ argv: ['cluster', 'domain', 'add', 'api', h], says: /<hostname>/ }),
    (h) => ({ argv: ['cluster', 'domain', 'remove', 'api', h, '--yes'], says: /<hostname>/ }),
    (h) => ({ argv: ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--app=web', `--hostname=${h}`], says: /--hostname/ }),
    (h) => ({ argv: ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--app=web', `--host-header=${h}`], says: /--host-header/ }),
  ];
  HOSTNAMES.forEach((h, i) => {
    cases.push(hostFlags[i % hostFlags.length]!(h));
    cases.push(hostFlags[(i + 2) % hostFlags.length]!(h));
  });
  for (const u of URLS) add(['cluster', 'upstream', 'add', 'api', '--variant=blue', `--url=${u}`], /--url/);
  for (const n of NAMES) {
    add(['cluster', 'create', n], /<name>/);
    add(['cluster', 'variant', 'add', 'api', n], /<name>/);
    add(['local', 'app', 'add', n, '--addr=127.0.0.1:3000'], /<app>/);
    add(['cluster', 'create', 'c', `--proxy-app=${n}`], /--proxy-app/);
  }
  for (const r of REFS) {
    add(['cluster', 'show', r], /<name>|<cluster>/);
    add(['cluster', 'status', r], /<name>|<cluster>/);
    add(['cluster', 'switch', 'api', `--to=${r}`], /--to/);
    add(['cluster', 'member', 'drain', 'api', r], /<app>/);
    add(['local', 'app', 'show', r], /<app>/);
  }
  for (const w of WEIGHTS) {
    add(['cluster', 'variant', 'add', 'api', 'v', `--weight=${w}`], /--weight/);
    add(['cluster', 'upstream', 'add', 'api', '--variant=blue', '--app=web', `--weight=${w}`], /--weight/);
    add(['cluster', 'member', 'weight', 'api', 'web', w], /<weight>|weight/);
  }
  for (const n of COUNTS) {
    add(['cluster', 'create', 'c', `--proxy-count=${n}`], /--proxy-count/);
    add(['cluster', 'update', 'c', `--proxy-count=${n}`], /--proxy-count/);
  }
  for (const d of DURATIONS) {
    add(['cluster', 'create', 'c', `--health-interval=${d}`], /--health-interval/);
    add(['cluster', 'create', 'c', `--health-timeout=${d}`], /--health-timeout/);
    add(['cluster', 'update', 'c', `--health-interval=${d}`], /--health-interval/);
    add(['cluster', 'update', 'c', `--health-timeout=${d}`], /--health-timeout/);
  }
  add(['cluster', 'create', 'c', '--health-interval=1s', '--health-timeout=1s'], /--health-timeout.*shorter than the interval/);
  add(['cluster', 'update', 'c', '--health-interval=1s', '--health-timeout=2s'], /--health-timeout.*shorter than the interval/);
  for (const p of HEALTH_PATHS) {
    add(['cluster', 'create', 'c', `--health-path=${p}`], /--health-path/);
    add(['cluster', 'update', 'c', `--health-path=${p}`], /--health-path/);
    add(['local', 'app', 'add', 'a3', '--addr=127.0.0.1:3000', `--health-path=${p}`], /--health-path/);
  }
  for (const ch of CONTROL) {
    add(['cluster', 'variant', 'add', 'api', 'v', `--description=before${ch}after`], /--description.*control characters/);
    add(['cluster', 'variant', 'update', 'api', 'blue', `--description=before${ch}after`], /--description.*control characters/);
    add(['local', 'app', 'add', 'a3', '--addr=127.0.0.1:3000', `--deploy-cmd=./deploy${ch}x`], /--deploy-cmd.*control characters/);
    add(['local', 'app', 'update', 'web', `--deploy-cmd=./deploy${ch}x`], /--deploy-cmd.*control characters/);
  }
  add(['cluster', 'variant', 'add', 'api', 'v', `--description=${long(501)}`], /--description.*at most 500/);
  add(['local', 'app', 'add', 'a3', '--addr=127.0.0.1:3000', '--deploy-cmd='], /--deploy-cmd/);
  // Edges and their settings.
  add(['cluster', 'create', 'c', '--edge=foo'], /--edge/);
  add(['cluster', 'create', 'c', '--edge=cloudflare', '--cloudflare-zone-id=023e105f4ecef8ad9ca31a8372d0c353'], /--cloudflare-token-stdin/);
  add(['cluster', 'create', 'c', '--edge=cloudflare', '--cloudflare-zone-id=xyz', '--cloudflare-token-stdin'], /--cloudflare-zone-id/, { input: 'A'.repeat(40) });
  add(['cluster', 'create', 'c', '--edge=cloudflare', '--cloudflare-zone-id=023e105f4ecef8ad9ca31a8372d0c353', '--cloudflare-token-stdin'], /token/, { input: 'short' });
  add(['cluster', 'create', 'c', '--edge=cloudflare', '--cloudflare-zone-id=023e105f4ecef8ad9ca31a8372d0c353', '--cloudflare-token-stdin'], /token/, { input: '' });
  add(['cluster', 'create', 'c', '--edge=cloudflare', '--cloudflare-token-stdin'], /--cloudflare-zone-id/, { input: 'A'.repeat(40) });
  add(['cluster', 'create', 'c', '--cloudflare-zone-id=023e105f4ecef8ad9ca31a8372d0c353'], /--cloudflare-zone-id.*only applies to edge cloudflare/);
  add(['cluster', 'create', 'c', '--edge=aws_alb', '--alb-target-group-arn=arn:aws:nope'], /--alb-target-group-arn/);
  add(['cluster', 'create', 'c', '--edge=aws_alb', `--alb-target-group-arn=${ARN}`, '--alb-region=us-east-1'], /--alb-region.*eu-west-1/);
  add(['cluster', 'create', 'c', '--edge=aws_alb'], /--alb-target-group-arn/);
  add(['cluster', 'create', 'c', `--alb-target-group-arn=${ARN}`], /--alb-target-group-arn.*only applies to edge aws_alb/);
  add(['cluster', 'create', 'c', '--edge=none', '--dns-server=127.0.0.1:53'], /--dns-server.*only applies to edge dns_rr/);
  add(['cluster', 'create', 'c', '--dns-provider=ftp'], /--dns-provider/);
  // rfc2136: every missing setting, bad values, settings of the other provider.
  add(['cluster', 'create', 'c', '--dns-provider=rfc2136'], /--dns-server/);
  add(['cluster', 'create', 'c', ...RFC.slice(0, 2)], /--dns-zone/);
  add(['cluster', 'create', 'c', ...RFC.slice(0, 3)], /--dns-tsig-name/);
  add(['cluster', 'create', 'c', ...RFC], /--dns-tsig-secret-file/);
  add(['cluster', 'create', 'c', '--dns-provider=rfc2136', '--dns-server=x'], /--dns-server.*has no dot/);
  add(['cluster', 'create', 'c', '--dns-provider=rfc2136', '--dns-server=ns1.example.com:99999'], /--dns-server.*port/);
  add(['cluster', 'create', 'c', '--dns-provider=rfc2136', '--dns-server=ns1.example.com:0'], /--dns-server.*port/);
  add(['cluster', 'create', 'c', '--dns-provider=rfc2136', '--dns-server=https://ns1.example.com'], /--dns-server/);
  add(['cluster', 'create', 'c', '--dns-provider=rfc2136', '--dns-tsig-name=my key'], /--dns-tsig-name.*no spaces/);
  add(['cluster', 'create', 'c', ...RFC, `--dns-tsig-secret-file=${file('bad.secret', 'not base64!')}`], /--dns-tsig-secret-file.*base64/);
  add(['cluster', 'create', 'c', ...RFC, '--hostname=a.other.com'], /--hostname.*inside dns_zone example\.com/, { env: { OWNSTACK_DNS_TSIG_SECRET: 'c2VjcmV0' } });
  add(['cluster', 'create', 'c', '--dns-server=ns1.example.com:53'], /--dns-server.*only applies to dns_provider rfc2136/);
  add(['cluster', 'create', 'c', '--dns-provider=zonefile', '--dns-zone=example.com'], /--dns-zone.*only applies to dns_provider rfc2136/);
  add(['cluster', 'create', 'c', '--dns-tsig-name=k'], /--dns-tsig-name.*only applies to dns_provider rfc2136/);
  // Hostnames that clash within one request.
  add(['cluster', 'create', 'c', '--hostname=a-b.example.com', '--hostname=a.b.example.com'], /--hostname.*both map to the env var/);
  add(['cluster', 'create', 'c', '--hostname=a.example.com', '--hostname=A.example.com'], /--hostname.*given twice/);
  // Apps and addresses.
  add(['local', 'app', 'add', 'a3'], /--addr/);
  for (const a of ['x', 'http://x:1', 'x:99999', '[::1', 'x:', '10.0.0.1:0', 'a b:80']) add(['local', 'app', 'add', 'a3', `--addr=${a}`], /--addr/);
  add(['local', 'app', 'update', 'web', '--addr=nope'], /--addr/);
  // Global flags.
  add(['--profile=', 'cluster', 'list'], /--profile/);
  add(['--profile=Bad Name', 'cluster', 'list'], /profile name/);
  add(['cluster', 'list', '--profile='], /--profile/);
  add(['--api-url=notaurl', 'cluster', 'list'], /--api-url/);
  add(['--api-url=ftp://x.example.com', 'cluster', 'list'], /--api-url/);
  add(['--api-url=https://x.example.com?q=1', 'cluster', 'list'], /--api-url/);
  add(['cluster', 'list'], /OWNSTACK_API_URL/, { env: { OWNSTACK_API_URL: 'notaurl' } });
  // Flag combinations and commands.
  add(['cluster', 'proxy-config', 'api', '--caddyfile', '--env'], /--caddyfile.*--env/);
  add(['cluster', 'upstream', 'add', 'api', '--variant=blue', '--url=https://x.example.com', '--app=web'], /--url|--app/);
  add(['cluster', 'upstream', 'add', 'api', '--variant=blue'], /--url|--app/);
  add(['cluster', 'upstream', 'add', 'api', '--url=https://x.example.com'], /--variant/);
  for (const id of IDS) {
    add(['cluster', 'upstream', 'remove', 'api', id, '--yes'], /<upstream-id>|id/);
    add(['cluster', 'deploy:status', 'api', id], /id/);
  }
  add(['cluster', 'switch', 'api'], /--to/);
  add(['cluster', 'deploy', 'api', '--strategy=fast'], /--strategy/);
  add(['cluster', 'deploy:status', 'api', '--timeout=soon'], /--timeout/);
  add(['cluster', 'variant', 'update', 'api', 'blue'], /nothing to update/);
  add(['cluster', 'variant', 'add', 'api', 'v', '--status=paused'], /--status/);
  add(['cluster', 'destroy', 'api'], /--yes/);
  // cluster update: nothing to change, and what only create sets.
  add(['cluster', 'update', 'api'], /nothing to update/);
  for (const flag of ['--edge=none', '--hostname=a.example.com', '--proxy-app=p', '--cloudflare-zone-id=023e105f4ecef8ad9ca31a8372d0c353', `--alb-target-group-arn=${ARN}`, '--alb-region=eu-west-1', '--dns-provider=rfc2136', '--dns-zone=example.com']) {
    add(['cluster', 'update', 'api', flag], new RegExp(`${flag.split('=')[0]} cannot be changed by cluster update: .*(destroy the cluster and create it again|domain add)`));
  }
  add(['cluster', 'update', 'api', '--dns-server=x'], /--dns-server.*has no dot/);
  add(['cluster', 'update', 'api', '--dns-tsig-name=a b'], /--dns-tsig-name/);
  add(['cluster', 'update', 'api', '--cloudflare-token-stdin'], /token/, { input: 'bad token!' });
  return cases;
}

/** Inputs the rules accept on purpose: they must be sent (the listener answers 404, exit 3). */
const ACCEPTED: { argv: string[]; sends: (body: any) => void }[] = [
  { argv: ['cluster', 'create', 'c', '--hostname=*.example.com'], sends: (b) => expect(b.hostnames).toEqual(['*.example.com']) },
  { argv: ['cluster', 'create', 'c', '--hostname=ǘ.com'], sends: (b) => expect(b.hostnames).toEqual(['xn--3ja.com']) },
  { argv: ['cluster', 'create', 'c', '--hostname=app.localhost'], sends: (b) => expect(b.hostnames).toEqual(['app.localhost']) },
  { argv: ['cluster', 'domain', 'add', 'api', 'Bücher.Example'], sends: (b) => expect(b.hostname).toBe('xn--bcher-kva.example') },
  { argv: ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--url=https://x.example.com:443'], sends: (b) => expect(b.url).toBe('https://x.example.com') },
  { argv: ['cluster', 'upstream', 'add', 'api', '--variant=blue', '--url=http://x.example.com:80'], sends: (b) => expect(b.url).toBe('http://x.example.com') },
  { argv: ['cluster', 'create', 'cluster-1', '--health-path=/h%25'], sends: (b) => expect(b).toMatchObject({ name: 'cluster-1', health: { path: '/h%25' } }) },
  { argv: ['cluster', 'variant', 'add', 'api', 'v', '--description=café ☕ — next'], sends: (b) => expect(b.description).toBe('café ☕ — next') },
  { argv: ['cluster', 'show', '1'], sends: () => undefined },
];

let home: string;
const listeners: Listener[] = [];
const WORKERS = 4;

beforeAll(async () => {
  assertBuilt();
  home = e2eHome('malformed');
  files = mkdtempSync(join(tmpdir(), 'ownstack-malformed-'));
  for (let i = 0; i < WORKERS; i++) listeners.push(await listen());
});
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  rmSync(files, { recursive: true, force: true });
  await cleanupHome(home);
});

/** Runs one command line against a listener; returns what it printed and how many connections it made. */
async function runAgainst(l: Listener, c: { argv: string[]; input?: string; env?: NodeJS.ProcessEnv }): Promise<CliResult & { connections: number }> {
  const before = l.connections();
  const r = await ownstack(home, c.argv, { input: c.input, env: { OWNSTACK_API_URL: l.url, OWNSTACK_API_TOKEN: 'corpus-token', ...c.env } });
  await l.settle();
  return { ...r, connections: l.connections() - before };
}

describe('malformed input: exit 2, the flag named, nothing sent', { timeout: 600_000 }, () => {
  it('refuses every input of the corpus locally', async () => {
    const cases = corpus();
    expect(cases.length).toBeGreaterThanOrEqual(382);
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      listeners.map(async (l) => {
        for (let i = next++; i < cases.length; i = next++) {
          const c = cases[i]!;
          const r = await runAgainst(l, c);
          const problems = [
            r.exitCode !== 2 && `exit ${r.exitCode}`,
            r.connections > 0 && `${r.connections} connection(s)`,
            r.stdout !== '' && `stdout ${JSON.stringify(r.stdout.slice(0, 80))}`,
            !c.says.test(r.stderr) && `stderr does not match ${c.says}`,
            // The message must not carry a raw control character to the terminal.
            /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(r.stderr) && 'a raw control character on stderr',
          ].filter(Boolean);
          if (problems.length > 0) failures.push(`${JSON.stringify(c.argv)}: ${problems.join(', ')}\n    ${r.stderr.trim().split('\n').join('\n    ')}`);
        }
      }),
    );
    expect(failures, `${failures.length} of ${cases.length} inputs were not refused locally:\n${failures.join('\n')}`).toEqual([]);
    // None of them started the local control plane either.
    expect(existsSync(localFiles(home).serverJson)).toBe(false);
  });

  it('sends what the rules accept on purpose (wildcards, IDNs, default ports), normalised', async () => {
    const l = listeners[0]!;
    for (const c of ACCEPTED) {
      const seen = l.requests.length;
      const r = await runAgainst(l, c);
      expect(r.connections, `${c.argv.join(' ')}: ${r.stderr}`).toBeGreaterThan(0);
      expect(r.exitCode, `${c.argv.join(' ')}: ${r.stderr}`).toBe(3);
      const request = l.requests[seen];
      expect(request, c.argv.join(' ')).toBeDefined();
      c.sends(request!.body === '' ? undefined : JSON.parse(request!.body));
    }
    // `cluster show 1` asks for id 1, by path.
    expect(l.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/clusters/1' });
  });
});
