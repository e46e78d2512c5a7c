import { describe, expect, it } from 'vitest';
import { isWildcardHost, parseListen } from '../../src/inputs/listen.js';

describe('parseListen (local start --listen, proxy agent --listen)', () => {
  it.each([
    ['0.0.0.0:8443', { host: '0.0.0.0', port: 8443 }],
    ['10.0.0.5:80', { host: '10.0.0.5', port: 80 }],
    ['[::]:443', { host: '::', port: 443 }],
    ['[fd00::5]:8443', { host: 'fd00::5', port: 8443 }],
    [':80', { host: '0.0.0.0', port: 80 }],
  ])('%s', (raw, want) => {
    expect(parseListen(raw)).toEqual(want);
  });

  it.each(['', '8443', '0.0.0.0', '0.0.0.0:0', '0.0.0.0:65536', '300.0.0.1:80', 'localhost:80', 'fd00::5:80', '[fd00::zz]:80', ' 0.0.0.0:80', '0.0.0.0:80 ', 'http://0.0.0.0:80'])('refuses %j', (raw) => {
    expect(parseListen(raw)).toBeNull();
  });

  it('names the wildcard addresses', () => {
    expect(['0.0.0.0', '::', '127.0.0.1', '10.0.0.5'].map(isWildcardHost)).toEqual([true, true, false, false]);
  });
});
