import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accrualStatus,
  addDays,
  contractAt,
  contractMonths,
  datesBetween,
  daysInMonth,
  endOfLocalDay,
  isMonthClosed,
  isValidDate,
  lastDayOfMonth,
  localDateOf,
  localDayBounds,
  monthCloseDate,
  monthsBetween,
  ratableDates,
  startOfLocalDay,
  utcOffsetMs,
  validityDaysInMonth,
} from '../src/rating/index.ts';
import { parseContractsConfig } from '../src/config/index.ts';

const H = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('calendar', () => {
  it('knows month lengths, leap years and real dates', () => {
    expect([daysInMonth('2026-02'), daysInMonth('2028-02'), daysInMonth('2026-11'), daysInMonth('2026-12')]).toEqual([28, 29, 30, 31]);
    expect(lastDayOfMonth('2026-02')).toBe('2026-02-28');
    expect([isValidDate('2026-02-29'), isValidDate('2028-02-29'), isValidDate('2026-13-01'), isValidDate('2026-1-01'), isValidDate('0099-01-01')]).toEqual([
      false,
      true,
      false,
      false,
      false,
    ]);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(datesBetween('2026-11-29', '2026-12-02')).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
    expect(datesBetween('2026-12-02', '2026-11-29')).toEqual([]);
    expect(monthsBetween('2026-11-10', '2027-02-01')).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
  });
});

describe('local days (Intl, DST-aware)', () => {
  it('Europe/Berlin 2026-03-29 has 23 hours: 2026-03-28T23:00Z .. 2026-03-29T22:00Z', () => {
    const { start, end } = localDayBounds('2026-03-29', 'Europe/Berlin');
    expect(iso(start)).toBe('2026-03-28T23:00:00.000Z'); // 00:00 CET (+1)
    expect(iso(end)).toBe('2026-03-29T22:00:00.000Z'); // 00:00 CEST (+2) on the 30th
    expect(end - start).toBe(23 * H);
    expect(localDateOf(end - 1, 'Europe/Berlin')).toBe('2026-03-29');
    expect(localDateOf(end, 'Europe/Berlin')).toBe('2026-03-30');
    expect(localDateOf(start - 1, 'Europe/Berlin')).toBe('2026-03-28');
  });

  it('Europe/Berlin 2026-10-25 has 25 hours: 2026-10-24T22:00Z .. 2026-10-25T23:00Z', () => {
    const { start, end } = localDayBounds('2026-10-25', 'Europe/Berlin');
    expect(iso(start)).toBe('2026-10-24T22:00:00.000Z'); // 00:00 CEST (+2)
    expect(iso(end)).toBe('2026-10-25T23:00:00.000Z'); // 00:00 CET (+1) on the 26th
    expect(end - start).toBe(25 * H);
    // 02:30 local happens twice that night; both instants belong to the 25th.
    expect(localDateOf(Date.parse('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25');
    expect(localDateOf(Date.parse('2026-10-25T01:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25');
  });

  it('ordinary days last 24 hours, and offsets follow the season', () => {
    expect(endOfLocalDay('2026-11-03', 'Europe/Berlin') - startOfLocalDay('2026-11-03', 'Europe/Berlin')).toBe(24 * H);
    expect(iso(startOfLocalDay('2026-11-03', 'Europe/Berlin'))).toBe('2026-11-02T23:00:00.000Z');
    expect(iso(startOfLocalDay('2026-07-01', 'Europe/Berlin'))).toBe('2026-06-30T22:00:00.000Z');
    expect(iso(startOfLocalDay('2026-07-01', 'UTC'))).toBe('2026-07-01T00:00:00.000Z');
    expect(iso(startOfLocalDay('2026-07-01', 'Asia/Kolkata'))).toBe('2026-06-30T18:30:00.000Z');
    expect(utcOffsetMs(Date.parse('2026-01-15T12:00:00Z'), 'Europe/Berlin')).toBe(1 * H);
    expect(utcOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'America/New_York')).toBe(-4 * H);
  });

  it('day boundaries are exact in zones whose DST switches at midnight or by 30 minutes (every day of 2026)', () => {
    for (const tz of ['Europe/Berlin', 'America/Santiago', 'America/Havana', 'Asia/Tehran', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns']) {
      for (const date of datesBetween('2026-01-01', '2026-12-31')) {
        const start = startOfLocalDay(date, tz);
        expect(localDateOf(start, tz), `${tz} ${date}`).toBe(date);
        expect(localDateOf(start - 1, tz) < date, `${tz} ${date}`).toBe(true);
        const len = endOfLocalDay(date, tz) - start;
        expect(len >= 22 * H && len <= 26 * H, `${tz} ${date}: ${len}`).toBe(true);
      }
    }
  });
});

describe('validity, status and month close', () => {
  const cfg = parseContractsConfig(
    `timezone: Europe/Berlin
contracts:
  - {id: c-mid, provider_id: prov-c, valid_from: 2026-11-10, valid_to: 2027-01-20}
  - {id: c-ny, provider_id: prov-n, valid_from: 2026-01-01, valid_to: 2026-12-31, timezone: America/New_York}
`,
    'test.yaml',
  );
  const [mid, ny] = cfg.contracts as [(typeof cfg.contracts)[0], (typeof cfg.contracts)[0]];

  it('lists the days and months inside validity', () => {
    expect(validityDaysInMonth(mid, '2026-11')).toHaveLength(21); // 10..30 November
    expect(validityDaysInMonth(mid, '2026-11')[0]).toBe('2026-11-10');
    expect(validityDaysInMonth(mid, '2027-01')).toHaveLength(20);
    expect(validityDaysInMonth(mid, '2026-10')).toEqual([]);
    expect(monthCloseDate(mid, '2026-11')).toBe('2026-11-30');
    expect(monthCloseDate(mid, '2027-01')).toBe('2027-01-20'); // ends mid-month
    expect(monthCloseDate(mid, '2027-02')).toBeNull();
    expect(contractMonths(mid)).toEqual(['2026-11', '2026-12', '2027-01']);
  });

  it('rates days up to the local day of the watermark', () => {
    expect(ratableDates(mid, null)).toEqual([]);
    expect(ratableDates(mid, Date.parse('2026-11-05T10:00:00Z'))).toEqual([]);
    // 23:30Z on the 11th is 00:30 on the 12th in Berlin.
    expect(ratableDates(mid, Date.parse('2026-11-11T23:30:00Z'))).toEqual(['2026-11-10', '2026-11-11', '2026-11-12']);
    expect(ratableDates(mid, Date.parse('2030-01-01T00:00:00Z'))).toHaveLength(21 + 31 + 20);
  });

  it('finalises a day once the watermark is at or after its end plus L (DST day: 23 h)', () => {
    const L = 120_000;
    const end = Date.parse('2026-03-29T22:00:00Z');
    const c = { timezone: 'Europe/Berlin' };
    expect(accrualStatus(c, '2026-03-29', end + L - 1, L)).toBe('provisional');
    expect(accrualStatus(c, '2026-03-29', end + L, L)).toBe('final');
  });

  it('closes a month after its last day inside validity plus L', () => {
    const L = 120_000;
    const end = Date.parse('2027-01-20T23:00:00Z'); // 2027-01-21 00:00 CET
    expect(isMonthClosed(mid, '2027-01', end + L - 1, L)).toBe(false);
    expect(isMonthClosed(mid, '2027-01', end + L, L)).toBe(true);
    expect(isMonthClosed(mid, '2027-02', end + 100 * L, L)).toBe(false);
  });

  it('finds the contract valid at an instant, in the contract zone', () => {
    // 2026-12-31T23:30Z is still 2026-12-31 in New York but 2027-01-01 in Berlin.
    const t = Date.parse('2027-01-01T03:30:00Z');
    expect(contractAt(cfg.contracts, 'prov-n', t)?.id).toBe(ny.id);
    expect(contractAt(cfg.contracts, 'prov-n', Date.parse('2027-01-01T06:00:00Z'))).toBeNull();
    expect(contractAt(cfg.contracts, 'prov-c', Date.parse('2026-11-09T22:59:59Z'))).toBeNull();
    expect(contractAt(cfg.contracts, 'prov-c', Date.parse('2026-11-09T23:00:00Z'))?.id).toBe('c-mid');
  });
});

describe('localDateOf from remembered day bounds', () => {
  // Zones with DST at 02:00, at midnight (Havana), by 30 minutes (Lord Howe), a skipped day (Apia, 2011) and an odd offset.
  const zones = ['Europe/Berlin', 'America/Havana', 'Australia/Lord_Howe', 'Pacific/Apia', 'Asia/Kathmandu', 'UTC'];
  const intl = (ms: number, timeZone: string): string =>
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);

  it('gives Intl’s local date for instants in any order, near day edges and DST switches included', () => {
    const from = Date.parse('2011-12-25T00:00:00Z');
    const to = Date.parse('2027-12-31T00:00:00Z');
    const instant = fc.oneof(
      fc.integer({ min: from, max: to }),
      // a few ms around some day's local midnight
      fc.tuple(fc.integer({ min: 0, max: 5_800 }), fc.constantFrom(...zones), fc.integer({ min: -2, max: 2 })).map(([d, z, e]) => startOfLocalDay(addDays('2011-12-25', d), z) + e),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(instant, fc.constantFrom(...zones)), { minLength: 1, maxLength: 60 }), (asks) => {
        for (const [ms, zone] of asks) expect(localDateOf(ms, zone)).toBe(intl(ms, zone));
      }),
      { numRuns: 300 },
    );
  });
});
