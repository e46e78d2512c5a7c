// Edge mode `aws_alb`: the proxies are the targets of a pre-existing ALB target group.
// Hostnames are not per target for an ALB (its listener rules route by host), so records use '*'.
//
// An `ip` target group registers each proxy's public address; an `instance` group its EC2
// instance id (the agent's --instance-id, or the instance metadata), on the proxy's port.
//
// Deregistration is not instant: a deregistered target stays in state `draining` for the target
// group's deregistration delay (deregistration_delay.timeout_seconds, 300 s unless changed) while
// in-flight requests finish. Draining targets count as gone for publish (they are already leaving),
// and re-registering one cancels its drain.
import type {
  ElasticLoadBalancingV2Client,
  TargetDescription,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { resolveEdgeDeps, type EdgeDeps } from './deps.js';
import { requireProxies } from './records.js';
import { EdgeError, type EdgeDriver, type EdgeErrorKind, type EdgeProxy, type EdgePublishResult, type EdgeRecord, type EdgeTargetHealth } from './types.js';

export interface AwsAlbConfig {
  targetGroupArn: string;
  region: string;
  /** Tests point the SDK at a local fake. */
  endpoint?: string;
  /** Default: the SDK's credential chain (env, profile, SSO, instance/task role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** SDK attempts per call, including the first; the SDK backs off on throttling (default 4). */
  maxAttempts?: number;
}

/** What publish/remove report about deregistration, also shown by `cluster status`. */
export const DRAIN_NOTE =
  "deregistered targets stay 'draining' for the target group's deregistration delay (deregistration_delay.timeout_seconds, default 300 s) before they leave";

const MAX_PAGES = 20;
const AUTH_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthFailure',
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'IncompleteSignature',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'SignatureDoesNotMatch',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
]);
const INVALID_ERRORS = new Set([
  'InvalidConfigurationRequest',
  'InvalidParameterValue',
  'InvalidTarget',
  'TargetGroupNotFound',
  'TooManyRegistrationsForTargetId',
  'TooManyTargets',
  'ValidationError',
]);
const UNAVAILABLE_ERRORS = new Set(['RequestLimitExceeded', 'ServiceUnavailable', 'Throttling', 'ThrottlingException', 'TimeoutError', 'InternalFailure']);

const isDraining = (state: string | undefined): boolean => state === 'draining' || state === 'unhealthy.draining';
const targetKey = (t: { Id?: string; Port?: number }): string => (t.Port === undefined ? `${t.Id}` : `${t.Id}:${t.Port}`);

/** The AWS ALB edge driver. */
export function createAwsAlbDriver(config: AwsAlbConfig, deps: EdgeDeps = {}): EdgeDriver {
  const creds = config.credentials ?? deps.aws?.credentials;
  const d = resolveEdgeDeps(deps, creds ? [creds.secretAccessKey, ...(creds.sessionToken ? [creds.sessionToken] : [])] : []);
  const arn = config.targetGroupArn;
  let loaded: Promise<{ sdk: typeof import('@aws-sdk/client-elastic-load-balancing-v2'); client: ElasticLoadBalancingV2Client }> | undefined;

  // The SDK is loaded on first use: it is heavy, and only aws_alb clusters need it.
  function aws(): Promise<{ sdk: typeof import('@aws-sdk/client-elastic-load-balancing-v2'); client: ElasticLoadBalancingV2Client }> {
    loaded ??= (async () => {
      // The SDK warns on every process under Node < 22 about its 2027 support policy; that is
      // noise in CLI output and server logs (package.json pins the SDK major we tested).
      process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
      const sdk = await import('@aws-sdk/client-elastic-load-balancing-v2');
      const client = new sdk.ElasticLoadBalancingV2Client({
        region: config.region,
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        ...(creds ? { credentials: creds } : {}),
        maxAttempts: config.maxAttempts ?? deps.aws?.maxAttempts ?? 4,
        requestHandler: { connectionTimeout: 10_000, requestTimeout: 30_000 },
      });
      return { sdk, client };
    })();
    return loaded;
  }

  function toEdgeError(err: unknown, action: string): EdgeError {
    if (err instanceof EdgeError) return err;
    const e = (err ?? {}) as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    // Modelled SDK errors are named e.g. TargetGroupNotFoundException; `Code` keeps the wire code.
    const raw = e.Code ?? (e.name && e.name !== 'Error' ? e.name : (e.code ?? 'Error'));
    // The code comes from the endpoint's answer: shown only when it looks like one.
    const name = /^[A-Za-z][A-Za-z0-9.]{0,63}$/.test(raw) ? raw : 'an error without a readable code';
    const status = e.$metadata?.httpStatusCode;
    // An answer from the endpoint is shown by its error code and status only, never its text; a
    // request that got no answer (connection refused, timeout) says why.
    const message = d.redact(status === undefined ? `AWS ${action} failed: ${name}: ${e.message ?? 'unknown error'}` : `AWS ${action} failed: ${name} (HTTP ${status})`);
    let kind: EdgeErrorKind = 'failed';
    let hint: string | undefined;
    if (AUTH_ERRORS.has(name) || status === 401 || status === 403) {
      kind = 'auth';
      hint = 'check the AWS credentials (environment, profile or instance role): they need elasticloadbalancing:DescribeTargetGroups, DescribeTargetHealth, RegisterTargets and DeregisterTargets';
    } else if (INVALID_ERRORS.has(name)) {
      kind = 'invalid';
      hint = name === 'TargetGroupNotFound' ? `check alb_target_group_arn and alb_region (${config.region})` : undefined;
    } else if (UNAVAILABLE_ERRORS.has(name) || (status !== undefined && status >= 500) || /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|socket hang up/i.test(e.message ?? '')) {
      kind = 'unavailable';
      hint = 'try again later; the next reconcile retries';
    }
    return new EdgeError(message, kind, hint);
  }

  async function send<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw toEdgeError(err, action);
    }
  }

  async function describeHealth(): Promise<TargetHealthDescription[]> {
    // DescribeTargetHealth has no pagination: one call returns every registered target.
    const { sdk, client } = await aws();
    const out = await send('DescribeTargetHealth', () => client.send(new sdk.DescribeTargetHealthCommand({ TargetGroupArn: arn })));
    return out.TargetHealthDescriptions ?? [];
  }

  const toRecord = (t: TargetDescription): EdgeRecord => ({ hostname: '*', type: 'target', value: targetKey(t) });

  async function publish(_hostnames: string[], proxies: EdgeProxy[]): Promise<EdgePublishResult> {
    requireProxies(proxies);
    const type = await targetType();
    const desired = new Map<string, TargetDescription>();
    for (const p of proxies) {
      // An instance group registers the EC2 instance (its port: the proxy's); an ip group the address.
      if (type === 'instance' && !p.instanceId) {
        throw new EdgeError(`proxy ${p.address}:${p.port} has no EC2 instance id, which the instance target group ${arn} needs`, 'invalid', 'start its agent with --instance-id (or on the instance itself)');
      }
      const t = { Id: type === 'instance' ? p.instanceId! : p.address, Port: p.port };
      desired.set(targetKey(t), t);
    }
    const current = new Map<string, TargetDescription>();
    for (const h of await describeHealth()) {
      if (h.Target?.Id && !isDraining(h.TargetHealth?.State)) current.set(targetKey(h.Target), { Id: h.Target.Id, Port: h.Target.Port });
    }
    const register = [...desired].filter(([k]) => !current.has(k)).map(([, t]) => t);
    const deregister = [...current].filter(([k]) => !desired.has(k)).map(([, t]) => t);
    const result: EdgePublishResult = { added: [], removed: [], unchanged: desired.size - register.length, writes: 0 };
    // Register before deregister: the group never has fewer targets than it needs.
    if (register.length > 0) {
      const { sdk, client } = await aws();
      await send('RegisterTargets', () => client.send(new sdk.RegisterTargetsCommand({ TargetGroupArn: arn, Targets: register })));
      result.writes++;
      result.added.push(...register.map(toRecord));
      d.log.info(`aws_alb: registered ${register.map(targetKey).join(', ')}`);
    }
    if (deregister.length > 0) {
      try {
        const { sdk, client } = await aws();
        await send('DeregisterTargets', () => client.send(new sdk.DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: deregister })));
      } catch (err) {
        if (err instanceof EdgeError) err.partial = { ...result };
        throw err;
      }
      result.writes++;
      result.removed.push(...deregister.map(toRecord));
      result.notes = [DRAIN_NOTE];
      d.log.info(`aws_alb: deregistered ${deregister.map(targetKey).join(', ')} (draining)`);
    }
    return result;
  }

  async function read(): Promise<EdgeRecord[]> {
    return (await describeHealth())
      .filter((h) => h.Target?.Id && !isDraining(h.TargetHealth?.State))
      .map((h) => toRecord(h.Target!));
  }

  // The target group is the cluster's own (created once for it), so everything in it is ours.
  async function remove(): Promise<EdgePublishResult> {
    const targets = (await describeHealth())
      .filter((h) => h.Target?.Id && !isDraining(h.TargetHealth?.State))
      .map((h) => ({ Id: h.Target!.Id, Port: h.Target!.Port }));
    if (targets.length === 0) return { added: [], removed: [], unchanged: 0, writes: 0 };
    const { sdk, client } = await aws();
    await send('DeregisterTargets', () => client.send(new sdk.DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: targets })));
    d.log.info(`aws_alb: deregistered ${targets.map(targetKey).join(', ')} (draining)`);
    return { added: [], removed: targets.map(toRecord), unchanged: 0, writes: 1, notes: [DRAIN_NOTE] };
  }

  async function health(): Promise<EdgeTargetHealth[]> {
    return (await describeHealth()).map((h) => {
      const state = h.TargetHealth?.State ?? 'unknown';
      const parts = [h.TargetHealth?.Reason, h.TargetHealth?.Description].filter((x): x is string => Boolean(x));
      if (isDraining(state)) parts.push('leaves after the target group deregistration delay');
      return { target: targetKey(h.Target ?? {}), state, ...(parts.length > 0 ? { reason: parts.join(': ') } : {}) };
    });
  }

  let knownType: Promise<'ip' | 'instance'> | undefined = deps.aws?.targetType ? Promise.resolve(deps.aws.targetType) : undefined;

  /** The target group's description (DescribeTargetGroups, bounded pages). */
  async function describeGroup(): Promise<{ TargetType?: string } | undefined> {
    let found: { TargetType?: string } | undefined;
    let pages = 0;
    try {
      const { sdk, client } = await aws();
      for await (const page of sdk.paginateDescribeTargetGroups({ client }, { TargetGroupArns: [arn] })) {
        found ??= page.TargetGroups?.find((g) => g.TargetGroupArn === arn);
        if (found || ++pages >= MAX_PAGES) break;
      }
    } catch (err) {
      throw toEdgeError(err, 'DescribeTargetGroups');
    }
    if (!found) throw new EdgeError(`target group ${arn} not found in ${config.region}`, 'invalid', 'check alb_target_group_arn and alb_region');
    if (found.TargetType !== 'ip' && found.TargetType !== 'instance') {
      throw new EdgeError(
        `target group ${arn} has target type ${found.TargetType ?? 'unknown'}; ownstack registers proxies as ip (or instance) targets`,
        'invalid',
        'create the target group with target type "ip" (or "instance" for agents with an EC2 instance id)',
      );
    }
    return found;
  }

  /** ip or instance: asked once per driver (a group's target type never changes). */
  function targetType(): Promise<'ip' | 'instance'> {
    knownType ??= describeGroup().then((g) => g!.TargetType as 'ip' | 'instance');
    // A failed lookup is asked again next time.
    knownType.catch(() => (knownType = undefined));
    return knownType;
  }

  async function verify(): Promise<void> {
    const g = await describeGroup();
    knownType = Promise.resolve(g!.TargetType as 'ip' | 'instance');
  }

  return { mode: 'aws_alb', verify, publish, read, remove, health, targetType };
}
