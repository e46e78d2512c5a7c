// A negative number where a number is expected is a value, not an option: every numeric
// positional and option rejects it with the argument, the value and the rule (exit 2, nothing
// sent), in each spelling (`N`, `--flag=N`, `--flag N`, `-f N`).
import type { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIO } from '../../src/output/io.js';
import { buildProgram } from '../../src/program.js';
import { contractServer } from '../fixtures/contract.js';
import { runOwnstack } from '../helpers/cli.js';

const api = contractServer({ beforeAll, afterEach, afterAll });
const URL_ = 'https://a.example.net';
const weight = 'a weight must be a whole number from 0 to 1000 — try';

const rows: [argv: string, names: string, rule: string][] = [
  ['cluster member weight api my-rails-app -1', '<weight> "-1"', `${weight} 0`],
  ['cluster member weight api my-rails-app -1 --dry-run', '<weight> "-1"', `${weight} 0`],
  ['cluster member weight api my-rails-app -1000', '<weight> "-1000"', `${weight} 0`],
  ['cluster member weight api my-rails-app -1.5', '<weight> "-1.5"', 'a weight must be a whole number from 0 to 1000, written in decimal digits'],
  ['cluster member add api worker --weight=-1', '--weight "-1"', `${weight} --weight=0`],
  ['cluster member add api worker --weight -1', '--weight "-1"', `${weight} --weight=0`],
  ['cluster variant add api green --weight=-1', '--weight "-1"', `${weight} --weight=0`],
  ['cluster variant add api green --weight -1', '--weight "-1"', `${weight} --weight=0`],
  ['cluster variant update api green --weight -1', '--weight "-1"', `${weight} --weight=0`],
  [`cluster upstream add api --variant=green --url=${URL_} --weight=-1`, '--weight "-1"', `${weight} --weight=0`],
  [`cluster upstream add api --variant=green --url=${URL_} --weight -1`, '--weight "-1"', `${weight} --weight=0`],
  ['cluster create api --proxy-count=-1', '--proxy-count "-1"', 'a proxy count must be a whole number from 0 to 64 — try --proxy-count=0'],
  ['cluster create api --proxy-count -1', '--proxy-count "-1"', 'a proxy count must be a whole number from 0 to 64 — try --proxy-count=0'],
  ['cluster upstream remove api -1 --yes', '<upstream-id> "-1"', 'an id must be a whole number from 1 to'],
  ['cluster deploy:status api -1', '<id> "-1"', 'a deploy id is a positive whole number'],
  ['cluster deploy:abort api -1', '<id> "-1"', 'a deploy id is a positive whole number'],
  ['local logs --lines=-1', '--lines "-1"', 'a line count must be a whole number from 0 to'],
  ['local logs -n -1', '--lines "-1"', 'a line count must be a whole number from 0 to'],
  ['local start --port -1', '--port "-1"', 'a port must be a whole number from 0 to 65535'],
];

describe('negative numbers', () => {
  it.each(rows)('%s', async (argv, names, rule) => {
    const r = await runOwnstack(argv.split(' '));
    expect(r.stderr).toContain(`invalid ${names}: ${rule}`);
    expect(r.stderr).not.toMatch(/unknown option/);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(api.seen).toHaveLength(0);
  });

  it('no option has a digit as its short flag (commander would then read every negative number as an option)', async () => {
    const io = createIO({ stdout: { write: () => true }, stderr: { write: () => true }, stdoutIsTTY: false, stderrIsTTY: false, stdinIsTTY: false, env: {} });
    const program = await buildProgram(() => {
      throw new Error('not run');
    }, io);
    const shorts: string[] = [];
    const walk = (cmd: Command): void => {
      for (const o of cmd.options) if (o.short) shorts.push(o.short);
      cmd.commands.forEach(walk);
    };
    walk(program);
    expect(shorts.length).toBeGreaterThan(0);
    expect(shorts.filter((s) => /^-\d$/.test(s))).toEqual([]);
  });
});
