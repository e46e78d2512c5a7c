// Every command has a description and at least one example; --help sends nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runOwnstack } from '../../helpers/cli.js';
import { contractServer } from '../../fixtures/contract.js';

const api = contractServer({ beforeAll, afterEach, afterAll });

const commands = [
  'cluster show',
  'cluster status',
  'cluster destroy',
  'cluster switch',
  'cluster proxy-config',
  'cluster deploy',
  'cluster domain',
  'cluster domain list',
  'cluster domain add',
  'cluster domain remove',
  'cluster variant',
  'cluster variant list',
  'cluster variant add',
  'cluster variant update',
  'cluster variant remove',
];

describe('help', () => {
  it.each(commands)('%s --help', async (argv) => {
    const r = await runOwnstack([...argv.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ownstack /);
    expect(r.stdout).toContain('Examples:\n  $ ownstack ');
    expect(api.seen).toHaveLength(0);
  });
});
