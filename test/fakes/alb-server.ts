// A fake of the ELBv2 Query API on 127.0.0.1 (form-encoded Action=…&Version=2015-12-01, XML
// answers in the documented shapes), for the AWS SDK pointed at it with `endpoint`.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';

const NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

export interface AlbRecordedRequest {
  action: string;
  params: Record<string, string>;
  /** Access key id from the SigV4 Authorization header. */
  accessKeyId: string | undefined;
  injected?: string;
}

export interface FakeTargetGroup {
  arn: string;
  name: string;
  targetType: 'ip' | 'instance' | 'lambda' | 'alb';
  port: number;
}

export interface FakeTarget {
  id: string;
  port: number;
  state: string;
  reason?: string;
  description?: string;
}

export interface AlbInjection {
  action?: string;
  skip?: number;
  times?: number;
  status: number;
  code: string;
  message: string;
  type?: 'Sender' | 'Receiver';
}

export interface AlbFakeOptions {
  accessKeyId: string;
  targetGroups: FakeTargetGroup[];
  /** State a freshly registered target gets (default 'initial'). */
  registeredState?: string;
  /** Make DescribeTargetGroups answer in pages of one group, plus an empty first page (pagination test). */
  paginateTargetGroups?: boolean;
}

export interface AlbFake {
  endpoint: string;
  requests: AlbRecordedRequest[];
  /** Targets per target group ARN, keyed `id:port`. */
  targets: Map<string, Map<string, FakeTarget>>;
  inject(injection: AlbInjection): void;
  /** Requests after `from` as `Action k=v …` lines (without Action/Version), for exact assertions. */
  lines(from?: number): string[];
  /** Ends the deregistration delay: draining targets leave. */
  finishDraining(): void;
  setState(arn: string, key: string, state: string, reason?: string): void;
  close(): Promise<void>;
}

const esc = (s: string | number): string =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Collects `Prefix.member.N` (scalar) or `Prefix.member.N.Field` (structure) query parameters. */
function members(params: Record<string, string>, prefix: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const [k, v] of Object.entries(params)) {
    const m = new RegExp(`^${prefix}\\.member\\.(\\d+)(?:\\.(\\w+))?$`).exec(k);
    if (!m) continue;
    const i = Number(m[1]) - 1;
    out[i] ??= {};
    out[i]![m[2] ?? '_'] = v;
  }
  return out.filter(Boolean);
}

export async function startAlbFake(opts: AlbFakeOptions): Promise<AlbFake> {
  const requests: AlbRecordedRequest[] = [];
  const injections: (AlbInjection & { seen: number; fired: number })[] = [];
  const targets = new Map<string, Map<string, FakeTarget>>(opts.targetGroups.map((g) => [g.arn, new Map()]));

  function xml(res: ServerResponse, action: string, result: string): void {
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<${action}Response xmlns="${NS}">\n  <${action}Result>${result}</${action}Result>\n  <ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>\n</${action}Response>\n`,
    );
  }
  function error(res: ServerResponse, status: number, code: string, message: string, type = 'Sender'): void {
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${esc(code)}</Code>\n    <Message>${esc(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`,
    );
  }
  const groupXml = (g: FakeTargetGroup): string =>
    `<member><TargetGroupArn>${esc(g.arn)}</TargetGroupArn><TargetGroupName>${esc(g.name)}</TargetGroupName><Protocol>HTTP</Protocol><Port>${g.port}</Port><VpcId>vpc-3ac0fb5f</VpcId><HealthCheckProtocol>HTTP</HealthCheckProtocol><HealthCheckPort>traffic-port</HealthCheckPort><HealthCheckPath>/_cluster/healthz</HealthCheckPath><HealthCheckIntervalSeconds>30</HealthCheckIntervalSeconds><HealthCheckTimeoutSeconds>5</HealthCheckTimeoutSeconds><HealthyThresholdCount>5</HealthyThresholdCount><UnhealthyThresholdCount>2</UnhealthyThresholdCount><Matcher><HttpCode>200</HttpCode></Matcher><TargetType>${g.targetType}</TargetType><LoadBalancerArns><member>arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/my-load-balancer/50dc6c495c0c9188</member></LoadBalancerArns></member>`;

  function handleAction(res: ServerResponse, action: string, p: Record<string, string>): void {
    switch (action) {
      case 'DescribeTargetGroups': {
        const arns = members(p, 'TargetGroupArns').map((m) => m['_']!);
        const unknown = arns.filter((a) => !targets.has(a));
        if (unknown.length > 0) return error(res, 400, 'TargetGroupNotFound', 'One or more target groups not found');
        const groups = opts.targetGroups.filter((g) => arns.length === 0 || arns.includes(g.arn));
        if (!opts.paginateTargetGroups) return xml(res, action, `<TargetGroups>${groups.map(groupXml).join('')}</TargetGroups>`);
        // Page 0 is empty; page N holds group N-1.
        const page = p['Marker'] === undefined ? 0 : Number(p['Marker']);
        const slice = page === 0 ? [] : groups.slice(page - 1, page);
        const next = page < groups.length ? `<NextMarker>${page + 1}</NextMarker>` : '';
        return xml(res, action, `<TargetGroups>${slice.map(groupXml).join('')}</TargetGroups>${next}`);
      }
      case 'DescribeTargetHealth': {
        const group = targets.get(p['TargetGroupArn'] ?? '');
        if (!group) return error(res, 400, 'TargetGroupNotFound', 'One or more target groups not found');
        const body = [...group.values()]
          .map(
            (t) =>
              `<member><HealthCheckPort>${t.port}</HealthCheckPort><TargetHealth><State>${t.state}</State>${t.reason ? `<Reason>${t.reason}</Reason>` : ''}${t.description ? `<Description>${esc(t.description)}</Description>` : ''}</TargetHealth><Target><Port>${t.port}</Port><Id>${esc(t.id)}</Id></Target></member>`,
          )
          .join('');
        return xml(res, action, `<TargetHealthDescriptions>${body}</TargetHealthDescriptions>`);
      }
      case 'RegisterTargets':
      case 'DeregisterTargets': {
        const group = targets.get(p['TargetGroupArn'] ?? '');
        if (!group) return error(res, 400, 'TargetGroupNotFound', 'One or more target groups not found');
        const list = members(p, 'Targets');
        if (list.length === 0) return error(res, 400, 'ValidationError', "1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null");
        // As ELBv2 does: an ip group takes IP addresses only, an instance group instance ids only.
        const type = opts.targetGroups.find((g) => g.arn === p['TargetGroupArn'])?.targetType;
        for (const t of list) {
          const id = t['Id'] ?? '';
          if (type === 'ip' && isIP(id) === 0) return error(res, 400, 'ValidationError', `The IP address '${id}' is not a valid IPv4 address`);
          if (type === 'instance' && !/^i-[0-9a-f]{8,17}$/.test(id)) return error(res, 400, 'ValidationError', `Instance ID '${id}' is not valid`);
        }
        for (const t of list) {
          const key = `${t['Id']}:${t['Port']}`;
          if (action === 'RegisterTargets') {
            const state = opts.registeredState ?? 'initial';
            group.set(key, {
              id: t['Id']!,
              port: Number(t['Port']),
              state,
              ...(state === 'initial' ? { reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress' } : {}),
            });
          } else {
            const existing = group.get(key);
            if (!existing) return error(res, 400, 'InvalidTarget', `The following targets are not registered: '${t['Id']}'`);
            Object.assign(existing, { state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress' });
          }
        }
        return xml(res, action, '');
      }
      default:
        return error(res, 400, 'InvalidAction', `Could not find operation ${action} for version 2015-12-01`);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const auth = req.headers.authorization ?? '';
    const accessKeyId = /Credential=([^/]+)\//.exec(auth)?.[1];
    const rec: AlbRecordedRequest = { action: params['Action'] ?? '', params, accessKeyId };
    requests.push(rec);
    // Every matching injection counts the request; the first eligible one fires.
    let chosen: AlbInjection | undefined;
    for (const inj of injections) {
      if (inj.action !== undefined && inj.action !== rec.action) continue;
      inj.seen++;
      if (chosen || inj.seen <= (inj.skip ?? 0) || inj.fired >= (inj.times ?? 1)) continue;
      inj.fired++;
      chosen = inj;
    }
    if (chosen) {
      rec.injected = chosen.code;
      return error(res, chosen.status, chosen.code, chosen.message, chosen.type);
    }
    if (!auth.startsWith('AWS4-HMAC-SHA256 ')) return error(res, 403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    if (accessKeyId !== opts.accessKeyId) return error(res, 403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (params['Version'] !== '2015-12-01') return error(res, 400, 'InvalidAction', 'unsupported version');
    handleAction(res, rec.action, params);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => error(res, 500, 'InternalFailure', String(err), 'Receiver'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    targets,
    inject: (inj) => injections.push({ ...inj, seen: 0, fired: 0 }),
    lines: (from = 0) =>
      requests.slice(from).map((r) => {
        const rest = Object.entries(r.params)
          .filter(([k]) => k !== 'Action' && k !== 'Version')
          .map(([k, v]) => `${k}=${v}`);
        return [r.action, ...rest].join(' ');
      }),
    finishDraining: () => {
      for (const group of targets.values()) for (const [k, t] of group) if (t.state === 'draining') group.delete(k);
    },
    setState: (arn, key, state, reason) => {
      const t = targets.get(arn)?.get(key);
      if (t) Object.assign(t, { state, reason, description: undefined });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
