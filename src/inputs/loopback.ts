// Which addresses only this machine can reach: shared by the control plane (it binds plain http
// only there) and the agent (it talks plain http to a control plane only there).
import { isIP } from 'node:net';

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost` (brackets around IPv6 allowed). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(bare) || /^::ffff:127\./i.test(bare);
  return false;
}
