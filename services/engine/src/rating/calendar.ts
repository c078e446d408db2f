/**
 * Calendar dates as `YYYY-MM-DD` strings and months as `YYYY-MM`. Pure arithmetic on the
 * proleptic Gregorian calendar (Date.UTC as a calculator, never the clock).
 */

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_RE = /^(\d{4})-(\d{2})$/;
const DAY_MS = 86_400_000;

// Date.UTC maps years 0..99 to 1900..1999; keeping years ≥ 1900 sidesteps that quirk.
const MIN_YEAR = 1900;

function ymd(date: string): [number, number, number] {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function fromEpochDay(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

/** Days since 1970-01-01 (UTC calendar arithmetic). */
export function epochDay(date: string): number {
  const [y, m, d] = ymd(date);
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

/** A real calendar date in `YYYY-MM-DD` form (2026-02-30 is not). */
export function isValidDate(date: string): boolean {
  const m = DATE_RE.exec(date);
  if (!m) return false;
  const y = Number(m[1]);
  if (y < MIN_YEAR) return false;
  return fromEpochDay(epochDay(date)) === date;
}

export function addDays(date: string, n: number): string {
  return fromEpochDay(epochDay(date) + n);
}

/** `YYYY-MM` of a date. */
export function monthOf(date: string): string {
  ymd(date);
  return date.slice(0, 7);
}

export function daysInMonth(month: string): number {
  const m = MONTH_RE.exec(month);
  if (!m) throw new RangeError(`not a YYYY-MM month: ${JSON.stringify(month)}`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate();
}

export function lastDayOfMonth(month: string): string {
  return `${month}-${String(daysInMonth(month)).padStart(2, '0')}`;
}

export function nextMonth(month: string): string {
  return monthOf(addDays(lastDayOfMonth(month), 1));
}

/** Every date from `from` to `to`, both inclusive (empty when from > to). */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = epochDay(from), end = epochDay(to); d <= end; d++) out.push(fromEpochDay(d));
  return out;
}

/** Months touched by [from, to], inclusive. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  if (from > to) return out;
  for (let m = monthOf(from), end = monthOf(to); m <= end; m = nextMonth(m)) out.push(m);
  return out;
}
