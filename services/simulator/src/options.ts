// Simulation arguments, their defaults and their limits. Validation lives here so the CLI and the
// library reject the same inputs with the same messages.
import { MAX_PROVIDERS } from './providers.ts';
import { runTag } from './ids.ts';
import { TIME, TRAFFIC } from './params.ts';

export interface SimOptions {
  readonly seed: number;
  readonly customers: number;
  readonly providers: number;
  readonly days: number;
  /** Start of the simulated period, epoch ms; default 2026-11-01T00:00:00Z. */
  readonly startMs?: number;
  /** The caller's wall clock: no timestamp may lie more than 24 h after it (docs/events.md). */
  readonly nowMs: number;
  /** Adds an `inhouse` provider with a small portfolio that also takes overflow contacts. */
  readonly inhouse?: boolean;
  /** Share of output records that are invalid (0..0.5). */
  readonly badRatio?: number;
  /** Share of output records that re-send an earlier record (0..0.5). */
  readonly duplicateRatio?: number;
  /** New issues per active customer per day before the daily pattern; default 0.05. */
  readonly issueRate?: number;
  /** Zone of the daily traffic pattern; default Europe/Berlin. */
  readonly timeZone?: string;
}

export interface SimConfig extends Required<SimOptions> {
  readonly endMs: number;
  /** Tag inside every id: different runs into one topic never share ids. */
  readonly tag: string;
}

export const DEFAULT_START_MS = Date.UTC(2026, 10, 1);
export const DEFAULT_TIME_ZONE = 'Europe/Berlin';
const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
const MAX_CUSTOMERS = 10_000_000;
const MAX_RATIO = 0.5;

export function resolveOptions(o: SimOptions): SimConfig {
  const startMs = o.startMs ?? DEFAULT_START_MS;
  const timeZone = o.timeZone ?? DEFAULT_TIME_ZONE;
  const badRatio = o.badRatio ?? 0;
  const duplicateRatio = o.duplicateRatio ?? 0;
  const issueRate = o.issueRate ?? TRAFFIC.issueRate;
  const inhouse = o.inhouse ?? false;

  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed must be an integer, got ${o.seed}`);
  integerIn('customers', o.customers, 1, MAX_CUSTOMERS);
  integerIn('providers', o.providers, 1, MAX_PROVIDERS);
  integerIn('days', o.days, 1, 3660);
  ratio('bad ratio', badRatio);
  ratio('duplicate ratio', duplicateRatio);
  if (badRatio + duplicateRatio > MAX_RATIO) {
    throw new RangeError(`bad ratio + duplicate ratio must be at most ${MAX_RATIO}, got ${badRatio + duplicateRatio}`);
  }
  if (!(issueRate > 0 && issueRate <= 1)) throw new RangeError(`issue rate must be in (0, 1] per customer and day, got ${issueRate}`);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}"`);
  }
  if (!Number.isSafeInteger(startMs) || startMs < MIN_TIMESTAMP_MS) {
    throw new RangeError(`start must be on or after 2000-01-01T00:00:00Z, got ${describe(startMs)}`);
  }
  const endMs = startMs + o.days * TIME.D;
  // Consumers reject timestamps more than 24 h after their wall clock.
  if (endMs > o.nowMs + TIME.D) {
    throw new RangeError(
      `the simulated period ends ${new Date(endMs).toISOString()}, more than 24 h after now (${new Date(o.nowMs).toISOString()}): ` +
        'its records would be rejected; choose an earlier start or fewer days',
    );
  }
  const tag = runTag([o.seed, o.customers, o.providers, o.days, startMs, inhouse, issueRate, timeZone]);
  return { ...o, startMs, timeZone, badRatio, duplicateRatio, issueRate, inhouse, endMs, tag };
}

function integerIn(name: string, value: number, lo: number, hi: number): void {
  if (!Number.isInteger(value) || value < lo || value > hi) throw new RangeError(`${name} must be an integer in ${lo}..${hi}, got ${value}`);
}

function ratio(name: string, value: number): void {
  if (!(value >= 0 && value <= MAX_RATIO)) throw new RangeError(`${name} must be in 0..${MAX_RATIO}, got ${value}`);
}

function describe(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
