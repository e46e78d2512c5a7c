// Colour decisions (src/output/io.ts colorEnabled): explicit off wins, then forced on, then the TTY.
import { describe, expect, it } from 'vitest';
import { colorEnabled } from '../../src/output/io.js';

describe('colorEnabled', () => {
  it('a TTY gets colour; a pipe does not', () => {
    expect(colorEnabled({}, true, false)).toBe(true);
    expect(colorEnabled({}, false, false)).toBe(false);
  });

  it('NO_COLOR with a value turns it off, whatever the value (no-color.org)', () => {
    for (const v of ['1', '0', 'false', 'yes']) expect(colorEnabled({ NO_COLOR: v }, true, false), v).toBe(false);
    expect(colorEnabled({ NO_COLOR: '1', FORCE_COLOR: '1' }, false, false)).toBe(false);
  });

  it('NO_COLOR set to the empty string changes nothing (no-color.org: only a non-empty value counts)', () => {
    expect(colorEnabled({ NO_COLOR: '' }, true, false)).toBe(true);
    expect(colorEnabled({ NO_COLOR: '' }, false, false)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '', FORCE_COLOR: '1' }, false, false)).toBe(true);
  });

  it('--no-color and TERM=dumb turn it off; FORCE_COLOR / CLICOLOR_FORCE turn it on when piped', () => {
    expect(colorEnabled({ FORCE_COLOR: '1' }, true, true)).toBe(false);
    expect(colorEnabled({ TERM: 'dumb' }, true, false)).toBe(false);
    expect(colorEnabled({ CLICOLOR_FORCE: '1' }, false, false)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: '0' }, false, false)).toBe(false);
  });
});
