import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, compareOrderKeys } from '../src/index.ts';

const byCodePoints = (a: string, b: string) => {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
};

describe('compareCodePoints', () => {
  it('orders by code point, unlike UTF-16 `<` or localeCompare', () => {
    const astral = '\u{1F600}'; // surrogates D83D DE00
    const bmpHigh = '\uFF21'; // FULLWIDTH A
    expect(astral < bmpHigh).toBe(true); // code units get it wrong
    expect(compareCodePoints(astral, bmpHigh)).toBeGreaterThan(0);
    expect(compareCodePoints('e10', 'e9')).toBeLessThan(0);
    expect(compareCodePoints('B', 'a')).toBeLessThan(0); // localeCompare would say otherwise
    expect(compareCodePoints('e1', 'e1')).toBe(0);
    expect(compareCodePoints('e1', 'e10')).toBeLessThan(0);
  });

  it('agrees with a code-point reference on any strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(byCodePoints(a, b)));
      }),
    );
  });
});

describe('compareOrderKeys', () => {
  it('orders by event time, then started_at, then event_id', () => {
    const k = (eventTime: number, startedAt: number, eventId: string) => ({ eventTime, startedAt, eventId });
    expect(compareOrderKeys(k(1, 9, 'z'), k(2, 0, 'a'))).toBeLessThan(0);
    expect(compareOrderKeys(k(2, 0, 'z'), k(2, 1, 'a'))).toBeLessThan(0);
    expect(compareOrderKeys(k(2, 1, 'a'), k(2, 1, 'b'))).toBeLessThan(0);
    expect(compareOrderKeys(k(2, 1, 'b'), k(2, 1, 'b'))).toBe(0);
  });
});
