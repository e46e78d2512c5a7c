// The CLI builds only the part of the commander tree a command line names (registerCommands).
// That must be invisible: for every command, `--help`, `help <path>`, a typo and an unknown flag
// print exactly what the whole tree prints, and the scope never loses a command.
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram, scopeOf } from '../../src/program.js';
import { commandWords, type Scope } from '../../src/commands/define.js';
import { createIO } from '../../src/output/io.js';

/**
 * Runs argv against a tree built with `scope`; what commander printed (and the message of the
 * usage error it threw, which runCli prints), and the commands it built.
 */
async function run(argv: string[], scope: Scope) {
  let out = '';
  const io = createIO({
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((out += s), true) },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    stdinIsTTY: false,
    env: {},
  });
  const program = await buildProgram(() => {
    throw new Error('no command runs here');
  }, io, scope);
  let code = 'ran';
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    code = (err as { code?: string }).code ?? String(err);
    out += `[${code}] ${(err as Error).message}`;
  }
  return { out, code, count: countCommands(program) };
}

function countCommands(cmd: Command): number {
  return cmd.commands.reduce((n, c) => n + 1 + countCommands(c), 0);
}

/** Every command path of the whole tree, hidden ones included, with each alias. */
async function allPaths(): Promise<string[][]> {
  const io = createIO({ stdout: { write: () => true }, stderr: { write: () => true }, stdoutIsTTY: false, stderrIsTTY: false, stdinIsTTY: false, env: {} });
  const program = await buildProgram(() => {
    throw new Error('no command runs here');
  }, io);
  const out: string[][] = [];
  const walk = (cmd: Command, path: string[]) => {
    for (const sub of cmd.commands) {
      for (const name of [sub.name(), ...sub.aliases()]) out.push([...path, name]);
      walk(sub, [...path, sub.name()]);
    }
  };
  walk(program, []);
  return out;
}

const paths = (await allPaths()).filter((p) => p[p.length - 1] !== '__complete');

describe('commandWords and scopeOf', () => {
  it.each([
    [['cluster', 'status', 'api', '--json'], ['cluster', 'status', 'api']],
    [['--profile', 'cluster', 'cluster', 'list'], ['cluster', 'list']],
    [['--api-url', 'http://x', '-q', 'local', 'status'], ['local', 'status']],
    [['--profile=prod', 'cluster', 'ls'], ['cluster', 'ls']],
    [['cluster', '--', 'status'], ['cluster']],
    [[], []],
  ])('%j -> %j', (argv, words) => {
    expect(commandWords(argv)).toEqual(words);
  });

  it('__complete: the words before the cursor', () => {
    expect(scopeOf(['__complete', 'cluster', 'upstream', 'a'])).toEqual(['cluster', 'upstream']);
    expect(scopeOf(['__complete', 'cluster', ''])).toEqual(['cluster']);
    expect(scopeOf(['__complete', ''])).toEqual([]);
  });
});

describe('a scoped tree prints what the whole tree prints', () => {
  it(`--help of each of the ${paths.length} command paths (aliases included)`, async () => {
    expect(paths.length).toBeGreaterThan(50);
    for (const path of paths) {
      const argv = [...path, '--help'];
      const whole = await run(argv, 'all');
      const scoped = await run(argv, scopeOf(argv));
      expect(scoped.code, path.join(' ')).toBe('commander.helpDisplayed');
      expect(scoped.out, path.join(' ')).toBe(whole.out);
    }
  });

  it('`help <path>` for every group and command', async () => {
    for (const path of paths) {
      const argv = ['help', ...path];
      const whole = await run(argv, 'all');
      const scoped = await run(argv, scopeOf(argv));
      expect(scoped.out, argv.join(' ')).toBe(whole.out);
      expect(scoped.out.length).toBeGreaterThan(0);
    }
  });

  it.each([
    [['clustr']],
    [['cluster', 'stauts']],
    [['cluster', 'upstream', 'ad']],
    [['local', 'app', 'lst']],
    [['cluster', 'status', '--bogus']],
    [['cluster']],
    [['cluster', 'member']],
    [['--help']],
    [[]],
  ])('%j: the same message and outcome', async (argv) => {
    const whole = await run(argv, 'all');
    const scoped = await run(argv, scopeOf(argv));
    expect(scoped.code).toBe(whole.code);
    expect(scoped.out).toBe(whole.out);
    expect(scoped.out.length).toBeGreaterThan(0);
  });
});

describe('what a scoped tree builds', () => {
  it('a leaf command builds its own path, not the whole tree', async () => {
    const whole = await run(['--version'], 'all');
    const leaf = await run(['--version'], scopeOf(['cluster', 'upstream', 'add', 'api', '--url=http://x']));
    const root = await run(['--version'], scopeOf([]));
    expect(whole.count).toBeGreaterThan(50);
    expect(leaf.count).toBeLessThan(whole.count / 2);
    expect(root.count).toBeLessThan(whole.count / 2);
  });
});
