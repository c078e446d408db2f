/** Timestamp decoding for replay files: epoch ms integers or zoned ISO-8601 strings. */

export type TimestampParse = { ok: true; ms: number } | { ok: false; message: string };

// Date and time are mandatory, seconds and fraction optional; the zone is captured even when
// absent so that a zone-less value gets a precise message instead of a generic one.
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (DAYS[month - 1] ?? 0);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Parses an ISO-8601 date-time with a zone (`Z` or `±HH[:MM]`) to epoch ms. Digits below the
 * millisecond are truncated (docs/events.md), not rounded, so `.9999` stays in its millisecond.
 */
export function parseIsoTimestamp(text: string): TimestampParse {
  const m = ISO.exec(text);
  if (!m) return { ok: false, message: 'not an ISO-8601 date-time' };
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  if (zone === undefined) return { ok: false, message: 'ISO-8601 date-time without a zone offset' };
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = ss === undefined ? 0 : Number(ss);
  const milli = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, message: 'ISO-8601 date-time out of range' };
  }
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const oh = Number(zone.slice(1, 3));
    const om = zone.length > 3 ? Number(zone.slice(-2)) : 0;
    if (oh > 23 || om > 59) return { ok: false, message: 'ISO-8601 zone offset out of range' };
    offsetMin = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  // setUTCFullYear, because Date.UTC maps years 0..99 to 1900..1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, milli);
  return { ok: true, ms: d.getTime() - offsetMin * 60_000 };
}

/** Epoch ms as a safe integer (number or bigint), or a zoned ISO-8601 string. */
export function parseTimestamp(value: unknown): TimestampParse {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? { ok: true, ms: value } : { ok: false, message: 'not an integer epoch-ms value' };
  }
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? { ok: true, ms: n } : { ok: false, message: 'epoch-ms value out of range' };
  }
  if (typeof value === 'string') return parseIsoTimestamp(value);
  return { ok: false, message: 'expected epoch ms or an ISO-8601 string' };
}
