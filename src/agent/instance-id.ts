// The EC2 instance id of the host an agent runs on, from the instance metadata service (IMDSv2:
// a session token first, then the id), for aws_alb `instance` target groups. Asked only when the
// host looks like EC2 (its DMI vendor or Xen UUID says so) or the endpoint is set explicitly, so an
// agent elsewhere sends nothing to 169.254.169.254. The AWS SDKs' own variables steer it.
import { readFileSync } from 'node:fs';

/** The metadata endpoint (the AWS SDKs' variable): a local stand-in in tests, or an IPv6 endpoint. */
export const IMDS_ENDPOINT_ENV = 'AWS_EC2_METADATA_SERVICE_ENDPOINT';
/** `true` switches the lookup off (the AWS SDKs' variable). */
export const IMDS_DISABLED_ENV = 'AWS_EC2_METADATA_DISABLED';
export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';
/** Each metadata request gets this long: the service answers in milliseconds on EC2. */
export const IMDS_TIMEOUT_MS = 1_000;

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/** True when the DMI vendor (Nitro) or the Xen UUID (older types) says this is an EC2 instance. */
export function looksLikeEc2(read: (path: string) => string | null = readText): boolean {
  const vendor = read('/sys/devices/virtual/dmi/id/sys_vendor') ?? read('/sys/devices/virtual/dmi/id/board_vendor');
  if (vendor?.trim() === 'Amazon EC2') return true;
  return /^ec2/i.test(read('/sys/hypervisor/uuid')?.trim() ?? '');
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Where to ask, or null when this host should not be asked at all. */
export function metadataEndpoint(env: NodeJS.ProcessEnv, onEc2: () => boolean = looksLikeEc2): string | null {
  if (env[IMDS_DISABLED_ENV]?.trim().toLowerCase() === 'true') return null;
  const explicit = env[IMDS_ENDPOINT_ENV]?.trim();
  if (explicit) return explicit.replace(/\/+$/, '');
  return onEc2() ? DEFAULT_IMDS_ENDPOINT : null;
}

/** The instance id from the metadata service at `endpoint` (IMDSv2); throws with the reason when it cannot. */
export async function readInstanceId(endpoint: string, timeoutMs = IMDS_TIMEOUT_MS): Promise<string> {
  const tokenRes = await fetch(`${endpoint}/latest/api/token`, {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!tokenRes.ok) throw new Error(`the metadata service refused a session token (HTTP ${tokenRes.status})`);
  const token = (await tokenRes.text()).trim();
  const idRes = await fetch(`${endpoint}/latest/meta-data/instance-id`, {
    headers: { 'x-aws-ec2-metadata-token': token },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!idRes.ok) throw new Error(`the metadata service did not give the instance id (HTTP ${idRes.status})`);
  const id = (await idRes.text()).trim();
  if (!INSTANCE_ID.test(id)) throw new Error('the metadata service answered something that is not an instance id');
  return id;
}
