// The one colour rule (src/color.ts, docs/decisions.md "Command line"): FORCE_COLOR decides when set,
// else NO_COLOR turns colour off, else colour exactly on a terminal; every table follows it.
import { describe, expect, it } from 'vitest';
import { colorEnabled, newTable } from '../src/color.ts';

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe('colorEnabled', () => {
  it('is on for a terminal and off for a pipe or file when neither variable is set', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
  });

  it('NO_COLOR (any non-empty value) turns it off on a terminal; an empty NO_COLOR does not', () => {
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: 'yes' })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '' })).toBe(true);
  });

  it('FORCE_COLOR decides when set, over NO_COLOR and the stream: 0 or false off, anything else on', () => {
    for (const v of ['1', '2', '3', 'true', '']) {
      expect(colorEnabled(pipe, { FORCE_COLOR: v }), v).toBe(true);
      expect(colorEnabled(pipe, { FORCE_COLOR: v, NO_COLOR: '1' }), v).toBe(true);
    }
    for (const v of ['0', 'false', 'FALSE']) {
      expect(colorEnabled(tty, { FORCE_COLOR: v }), v).toBe(false);
    }
  });
});

describe('newTable', () => {
  const render = (colored: boolean) => {
    const t = newTable({ head: ['signal', 'count'] }, colored);
    t.push(['REPEAT_CONTACT', 3]);
    return t.toString();
  };

  it('has no escape sequence without colour, whatever TERM says', () => {
    expect(render(false)).not.toContain('\x1b[');
    expect(render(false)).toContain('REPEAT_CONTACT');
  });

  it('keeps cli-table3 head and border colours with it', () => {
    const previous = process.env.FORCE_COLOR;
    // @colors/colors, which cli-table3 colours with, decides for itself too, from FORCE_COLOR when it
    // loads (at the first coloured cell, here); with it on, the head is red and the border grey
    process.env.FORCE_COLOR = '1';
    try {
      const text = render(true);
      expect(text).toContain('\x1b[31m signal');
      expect(text).toContain('\x1b[90m');
      // without its SGR codes (ESC [ n m) it is the plain table
      const plain = text.split('\x1b[').map((part, i) => (i === 0 ? part : part.replace(/^\d+m/, ''))).join('');
      expect(plain).toBe(render(false));
    } finally {
      if (previous === undefined) delete process.env.FORCE_COLOR;
      else process.env.FORCE_COLOR = previous;
    }
  });
});
