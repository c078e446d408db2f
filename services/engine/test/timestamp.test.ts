import { describe, expect, it } from 'vitest';
import { parseIsoTimestamp, parseTimestamp } from '../src/index.ts';

const ms = (text: string) => {
  const r = parseIsoTimestamp(text);
  if (!r.ok) throw new Error(r.message);
  return r.ms;
};

describe('parseIsoTimestamp', () => {
  it('reads Z and offsets', () => {
    expect(ms('2026-11-03T10:00:00Z')).toBe(Date.UTC(2026, 10, 3, 10));
    expect(ms('2026-11-03T10:00:00z')).toBe(Date.UTC(2026, 10, 3, 10));
    expect(ms('2026-11-03T11:00:00+01:00')).toBe(Date.UTC(2026, 10, 3, 10));
    expect(ms('2026-11-03T11:00:00+0100')).toBe(Date.UTC(2026, 10, 3, 10));
    expect(ms('2026-11-03T11:00:00+01')).toBe(Date.UTC(2026, 10, 3, 10));
    expect(ms('2026-11-03T05:30:00-04:30')).toBe(Date.UTC(2026, 10, 3, 10));
    expect(ms('2026-11-03T10:00Z')).toBe(Date.UTC(2026, 10, 3, 10));
  });

  it('truncates digits below the millisecond, never rounds', () => {
    const base = Date.UTC(2026, 10, 3, 10);
    expect(ms('2026-11-03T10:00:00.123456Z')).toBe(base + 123);
    expect(ms('2026-11-03T10:00:00.999999999Z')).toBe(base + 999);
    expect(ms('2026-11-03T10:00:00.5Z')).toBe(base + 500);
    expect(ms('2026-11-03T10:00:00.05Z')).toBe(base + 50);
    expect(ms('2026-11-03T10:00:00,25Z')).toBe(base + 250);
    expect(ms('2026-11-03T10:00:00.0009Z')).toBe(base);
  });

  it('handles leap days and years below 100', () => {
    expect(ms('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoTimestamp('2026-02-29T00:00:00Z').ok).toBe(false);
    expect(parseIsoTimestamp('1900-02-29T00:00:00Z').ok).toBe(false);
    expect(ms('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(ms('0050-01-01T00:00:00Z')).toBe(new Date('0050-01-01T00:00:00Z').getTime());
  });

  it('rejects a missing zone with its own message', () => {
    const r = parseIsoTimestamp('2026-11-03T10:00:00');
    expect(r).toEqual({ ok: false, message: 'ISO-8601 date-time without a zone offset' });
  });

  it.each([
    '2026-11-03',
    '2026-11-03 10:00:00Z',
    '2026-13-03T10:00:00Z',
    '2026-11-31T10:00:00Z',
    '2026-11-03T24:00:00Z',
    '2026-11-03T10:60:00Z',
    '2026-11-03T10:00:60Z',
    '2026-11-03T10:00:00+24:00',
    '2026-11-03T10:00:00.Z',
    '20261103T100000Z',
    'yesterday',
    '',
  ])('rejects %j', (text) => {
    expect(parseIsoTimestamp(text).ok).toBe(false);
  });
});

describe('parseTimestamp', () => {
  it('takes safe integers and bigints as epoch ms', () => {
    expect(parseTimestamp(1_700_000_000_000)).toEqual({ ok: true, ms: 1_700_000_000_000 });
    expect(parseTimestamp(1_700_000_000_000n)).toEqual({ ok: true, ms: 1_700_000_000_000 });
    expect(parseTimestamp(-5)).toEqual({ ok: true, ms: -5 });
  });

  it.each([1.5, Number.NaN, Infinity, 2 ** 53, '1700000000000', null, true, {}, 2n ** 60n])('refuses %s', (v) => {
    expect(parseTimestamp(v).ok).toBe(false);
  });
});
