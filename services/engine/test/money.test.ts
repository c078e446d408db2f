import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal, dec, centsToNumber, exactJson, fitsInt64, INT64_MAX, INT64_MIN, JsonNumber, jsonDecimal } from '../src/money/index.ts';

describe('Decimal: parsing and exactness', () => {
  it('keeps decimal text exact (0.1 × 3 = 0.3, unlike floats)', () => {
    expect(dec('0.1').mul(3).eq(dec('0.3'))).toBe(true);
    expect(dec('0.1').add('0.2').toString()).toBe('0.3');
    expect(dec('0.15').mul(3).toString()).toBe('0.45');
  });

  it('parses signs, leading dots, trailing zeros and exponents', () => {
    expect(dec('0.40').toString()).toBe('0.4');
    expect(dec('-2.50').toString()).toBe('-2.5');
    expect(dec('.5').toString()).toBe('0.5');
    expect(dec('+7').toString()).toBe('7');
    expect(dec('1e3').toString()).toBe('1000');
    expect(dec('1.25E-2').toString()).toBe('0.0125');
    expect(dec('007.000').toString()).toBe('7');
  });

  it('rejects non-decimal text and fractional JS numbers', () => {
    for (const bad of ['', 'abc', '0x1F', '.inf', '1.2.3', '1e', '--1', 'NaN']) {
      expect(() => Decimal.fromDecimalString(bad), bad).toThrow();
    }
    expect(() => Decimal.fromInteger(0.5)).toThrow(/safe integer/);
    expect(() => Decimal.fromDecimalString('1e99999')).toThrow(/exponent/);
  });

  it('normalises fractions and prints non-terminating values as num/den', () => {
    const third = Decimal.ratio(2n, 6n);
    expect([third.num, third.den]).toEqual([1n, 3n]);
    expect(third.toString()).toBe('1/3');
    expect(Decimal.ratio(3n, -4n).toString()).toBe('-0.75');
    expect(third.mul(3).eq(1)).toBe(true);
  });

  it('compares exactly', () => {
    expect(dec('0.7').cmp(Decimal.ratio(7n, 10n))).toBe(0);
    expect(dec('0.3').lt(Decimal.ratio(1n, 3n))).toBe(true);
    expect(Decimal.max(dec(-1), dec('-0.5')).toString()).toBe('-0.5');
    expect(Decimal.min(dec(-1), dec('-0.5')).toString()).toBe('-1');
    expect(() => dec(1).div(0)).toThrow(RangeError);
  });
});

describe('Decimal: rounding half away from zero', () => {
  it.each([
    ['0.5', 1n],
    ['-0.5', -1n],
    ['2.5', 3n],
    ['-2.5', -3n],
    ['157.5', 158n],
    ['-157.5', -158n],
    ['0.4999', 0n],
    ['-0.4999', 0n],
    ['1.5', 2n],
    ['-1.5', -2n],
    ['3', 3n],
  ])('%s → %s', (text, cents) => {
    expect(dec(text).roundHalfAwayFromZero()).toBe(cents);
  });

  it('rounds n + 1/2 to n + 1 and −(n + 1/2) to −(n + 1) for any n (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), (n) => {
        const half = Decimal.ratio(2n * n + 1n, 2n);
        expect(half.roundHalfAwayFromZero()).toBe(n + 1n);
        expect(half.neg().roundHalfAwayFromZero()).toBe(-(n + 1n));
      }),
    );
  });

  it('is odd-symmetric and within 1/2 of the exact value (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (p, q) => {
        const x = Decimal.ratio(p, q);
        const r = x.roundHalfAwayFromZero();
        expect(x.neg().roundHalfAwayFromZero()).toBe(-r);
        const err = x.sub(Decimal.fromBigInt(r)).abs();
        expect(err.lte(Decimal.ratio(1n, 2n))).toBe(true);
        // An exact tie must have gone away from zero.
        if (err.eq(Decimal.ratio(1n, 2n))) expect(Decimal.fromBigInt(r).abs().gt(x.abs())).toBe(true);
      }),
    );
  });

  it('sums of cents-with-decimals stay exact (property: k × 0.1 = k/10)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (k) => {
        let acc = Decimal.ZERO;
        for (let i = 0; i < k % 50; i++) acc = acc.add('0.1');
        expect(acc.eq(Decimal.ratio(BigInt(k % 50), 10n))).toBe(true);
      }),
    );
  });
});

describe('Decimal: toFixed for quantities', () => {
  it.each([
    [Decimal.ratio(123_456n, 60_000n), 4, '2.0576'],
    [dec('0.00005'), 4, '0.0001'],
    [dec('-0.00005'), 4, '-0.0001'],
    [dec('-0.00004'), 4, '0.0000'],
    [dec(12), 4, '12.0000'],
    [dec('2.5'), 0, '3'],
    [dec('-2.5'), 0, '-3'],
    [Decimal.ratio(1n, 3n), 4, '0.3333'],
    [Decimal.ratio(-2n, 3n), 4, '-0.6667'],
  ])('%s to %i decimals is %s', (x, digits, text) => {
    expect(x.toFixed(digits)).toBe(text);
  });

  it('round-trips through text (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.integer({ min: 0, max: 8 }), (n, scale) => {
        const x = Decimal.ratio(n, 10n ** BigInt(scale));
        expect(dec(x.toFixed(scale)).eq(x)).toBe(true);
        expect(dec(x.toString()).eq(x)).toBe(true);
      }),
    );
  });
});

describe('centsToNumber', () => {
  it('refuses amounts a double cannot hold', () => {
    expect(centsToNumber(-158n)).toBe(-158);
    expect(() => centsToNumber(2n ** 60n)).toThrow(/safe integer/);
  });

  it('holds ±(2^53 − 1) and refuses ±2^53 (display and metrics only; the ledger keeps bigint)', () => {
    expect(centsToNumber(2n ** 53n - 1n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(centsToNumber(-(2n ** 53n - 1n))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(() => centsToNumber(2n ** 53n)).toThrow(/safe integer/);
    expect(() => centsToNumber(-(2n ** 53n))).toThrow(/safe integer/);
  });
});

describe('the signed 64-bit range of cents', () => {
  it('is [−2^63, 2^63 − 1], inclusive at both ends', () => {
    expect([INT64_MAX, INT64_MIN]).toEqual([9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n]);
    expect([fitsInt64(INT64_MAX), fitsInt64(INT64_MIN), fitsInt64(0n), fitsInt64(2n ** 53n + 1n), fitsInt64(-(2n ** 53n) - 1n)]).toEqual([true, true, true, true, true]);
    expect([fitsInt64(INT64_MAX + 1n), fitsInt64(INT64_MIN - 1n)]).toEqual([false, false]);
  });

  it('rounds exactly past 2^53 and 2^63, where a double cannot (half away from zero)', () => {
    // (2^53 + 1) + 0.5 → 2^53 + 2; as a double both would be 2^53
    expect(Decimal.fromBigInt(2n ** 53n + 1n).add('0.5').roundHalfAwayFromZero()).toBe(2n ** 53n + 2n);
    expect(Decimal.fromBigInt(-(2n ** 53n) - 1n).sub('0.5').roundHalfAwayFromZero()).toBe(-(2n ** 53n) - 2n);
    expect(Decimal.ratio(2n * INT64_MAX + 1n, 2n).roundHalfAwayFromZero()).toBe(INT64_MAX + 1n);
    expect(Decimal.fromBigInt(INT64_MIN).mul('0.05').toFixed(4)).toBe('-461168601842738790.4000');
  });
});

describe('exactJson', () => {
  it('prints like JSON.stringify for ordinary values', () => {
    const doc = { a: 1, b: -0.25, s: 'x"\n\u0000', n: null, t: true, arr: [1, 'two', null, undefined], u: undefined, nested: { d: new Date(0), e: [] }, nan: NaN };
    expect(exactJson(doc)).toBe(JSON.stringify(doc));
    expect(exactJson([dec('0.40')])).toBe('["0.4"]');
  });

  it('prints bigints and JsonNumbers with every digit', () => {
    const big = 2n ** 63n + 12_345n;
    expect(exactJson({ amount_cents: big, neg: -big, q: new JsonNumber('123456789012345678.1234') })).toBe(
      '{"amount_cents":9223372036854788153,"neg":-9223372036854788153,"q":123456789012345678.1234}',
    );
    expect(JSON.parse(exactJson({ x: 2n ** 53n + 1n }))).toEqual({ x: 2 ** 53 }); // a double reader rounds; the text does not
    expect(JSON.stringify({ q: new JsonNumber('0.22') })).toBe('{"q":0.22}');
    expect(() => new JsonNumber('1.')).toThrow(SyntaxError);
  });

  it('jsonDecimal trims 4-decimal text to what JSON.stringify(Number(text)) prints, and keeps big ones exact', () => {
    for (const t of ['12.0000', '0.2200', '-0.7500', '0.0000', '1000.0000', '0.0001', '-2.7750', '62.5720', '99999999999.9999']) {
      expect(jsonDecimal(t).text).toBe(JSON.stringify(Number(t)));
    }
    expect(jsonDecimal('100000000000000.0000').text).toBe('100000000000000');
    expect(jsonDecimal('18014398509481986.0000').text).toBe('18014398509481986'); // Number() would give …984
    expect(jsonDecimal('-9223372036854775809.5000').text).toBe('-9223372036854775809.5');
  });
});
