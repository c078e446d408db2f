/**
 * Local days of an IANA time zone in UTC epoch ms, with Intl only (no tz library). A local
 * day D is `[startOfLocalDay(D), startOfLocalDay(D + 1))`, so DST days last 23 or 25 hours.
 */
import { addDays, epochDay } from './calendar.ts';

const HOUR_MS = 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Intl throws RangeError on an unknown zone; that is the validity test. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(utcMs: number, timeZone: string): WallTime {
  const out: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of formatter(timeZone).formatToParts(utcMs)) {
    if (p.type in out) out[p.type as keyof WallTime] = Number(p.value);
  }
  return out;
}

/** Local wall time minus UTC at `utcMs`, in ms (Europe/Berlin: +1 h in winter, +2 h in summer). */
export function utcOffsetMs(utcMs: number, timeZone: string): number {
  const whole = Math.floor(utcMs / 1000) * 1000;
  const w = wallTime(whole, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - whole;
}

/** The local date of an instant as Intl tells it: about 5 µs a call. */
function intlDateOf(utcMs: number, timeZone: string): string {
  const w = wallTime(utcMs, timeZone);
  return `${String(w.year).padStart(4, '0')}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/** A local day as the instants `[start, end)` it spans. */
interface DaySpan {
  date: string;
  start: number;
  end: number;
}

/** Per zone, the local days asked last, newest first: a stream's events fall on few days. */
const recentDays = new Map<string, DaySpan[]>();
const RECENT_DAYS = 16;

/**
 * The local calendar date (`YYYY-MM-DD`) of an instant. A local day is one interval of instants,
 * so the answer for an instant inside a day already found is read off its bounds without Intl
 * (the accruals worker asks once per record and contract).
 */
export function localDateOf(utcMs: number, timeZone: string): string {
  let spans = recentDays.get(timeZone);
  if (spans === undefined) recentDays.set(timeZone, (spans = []));
  for (const s of spans) if (utcMs >= s.start && utcMs < s.end) return s.date;
  const date = intlDateOf(utcMs, timeZone);
  spans.unshift({ date, ...localDayBounds(date, timeZone) });
  if (spans.length > RECENT_DAYS) spans.pop();
  return date;
}

/** First instant (UTC ms) whose local date is `date`. */
export function startOfLocalDay(date: string, timeZone: string): number {
  const wall = epochDay(date) * 86_400_000;
  // Two offset passes land on local midnight for every ordinary day and most DST days.
  let t = wall - utcOffsetMs(wall, timeZone);
  t = wall - utcOffsetMs(t, timeZone);
  if (intlDateOf(t, timeZone) === date && intlDateOf(t - 1, timeZone) < date) return t;
  // Midnight skipped or repeated (zones that switch at 00:00): search the first instant of D.
  let lo = wall - 30 * HOUR_MS; // local date surely before D (offsets stay within ±15 h)
  let hi = wall + 30 * HOUR_MS; // local date surely D or later
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (intlDateOf(mid, timeZone) >= date) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** `[start, end)` of local day `date` in UTC ms; `end` is the start of the next day. */
export function localDayBounds(date: string, timeZone: string): { start: number; end: number } {
  return { start: startOfLocalDay(date, timeZone), end: startOfLocalDay(addDays(date, 1), timeZone) };
}

/** End of local day `date` (exclusive), i.e. the start of the next local day. */
export function endOfLocalDay(date: string, timeZone: string): number {
  return startOfLocalDay(addDays(date, 1), timeZone);
}
