// What an agent keeps on its own disk, so that a restarted agent (or host) serves its last
// applied config before it reaches the control plane: the config document, the bridge ports it
// gave out, and the sockets it listens on.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentConfig, type AgentConfig } from '../api/agent.js';
import { writeFileAtomic } from '../atomic-file.js';

export interface AppliedState {
  config: AgentConfig;
  /** Upstream id → bridge port (kept stable across generations). */
  bridges: Record<string, number>;
}

/** Longest unix socket path we use (the kernel's limit is 107 bytes). */
const MAX_SOCKET_PATH = 100;

export class AgentState {
  constructor(readonly dir: string) {}

  /** Creates the folder (0700). */
  ensure(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
  }

  get appliedPath(): string {
    return join(this.dir, 'applied.json');
  }

  get pidPath(): string {
    return join(this.dir, 'agent.pid');
  }

  /** The last applied state, or null (none yet, or unreadable: the control plane sends it again). */
  readApplied(): AppliedState | null {
    try {
      const raw = JSON.parse(readFileSync(this.appliedPath, 'utf8')) as { config?: unknown; bridges?: unknown };
      const config = agentConfig.parse(raw.config);
      const bridges: Record<string, number> = {};
      if (raw.bridges && typeof raw.bridges === 'object') {
        for (const [k, v] of Object.entries(raw.bridges)) if (/^\d+$/.test(k) && Number.isInteger(v)) bridges[k] = v as number;
      }
      return { config, bridges };
    } catch {
      return null;
    }
  }

  async writeApplied(state: AppliedState): Promise<void> {
    await writeFileAtomic(this.appliedPath, `${JSON.stringify(state)}\n`, { mode: 0o600, durable: true });
  }

  /**
   * Where the agent's sockets live: its folder when the paths fit a unix socket address and are
   * plain; else a private folder under the temp dir named after the state folder.
   */
  socket(name: string): string {
    const direct = join(this.dir, name);
    if (direct.length <= MAX_SOCKET_PATH && !/[\s{}"'`,\\#]/.test(direct)) return direct;
    const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
    const base = join(tmpdir(), `ownstack-${uid}`);
    const sub = join(base, createHash('sha256').update(this.dir).digest('hex').slice(0, 16));
    for (const d of [base, sub]) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      const st = statSync(d);
      if (st.uid !== uid || (st.mode & 0o077) !== 0) throw new Error(`${d} must be a folder of this user with mode 0700`);
    }
    return join(sub, name);
  }
}
