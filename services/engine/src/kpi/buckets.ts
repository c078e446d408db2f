/**
 * Bucket math (docs/kpis.md, "Buckets, windows and TTLs"): counters live in one-minute and one-hour buckets of event time,
 * and a rolling window is a run of buckets ending with the one that holds the store's watermark.
 */
import { THRESHOLD_WINDOWS, type ThresholdWindow } from '../config/types.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** `m`: minute buckets (floor(t / 60 000)); `h`: hour buckets (floor(t / 3 600 000)). */
export type Granularity = 'm' | 'h';
export const GRANULARITIES: readonly Granularity[] = ['m', 'h'];

export const KPI_WINDOWS = THRESHOLD_WINDOWS;
export type KpiWindow = ThresholdWindow;

const SIZE_MS: Record<Granularity, number> = { m: MINUTE_MS, h: HOUR_MS };

export function bucketOf(granularity: Granularity, eventTimeMs: number): number {
  return Math.floor(eventTimeMs / SIZE_MS[granularity]);
}

export const minuteBucket = (t: number): number => bucketOf('m', t);
export const hourBucket = (t: number): number => bucketOf('h', t);

/**
 * Bucket lifetimes: a bucket is read by windows for at most 1 h (minute) or 7 d (hour) after it
 * closes; the TTLs add slack for lateness and for a watermark that trails the wall clock.
 */
export const BUCKET_TTL_MS: Readonly<Record<Granularity, number>> = { m: 2 * HOUR_MS, h: 8 * 24 * HOUR_MS };

/** A window as an inclusive range of bucket ids of one granularity. */
export interface WindowBuckets {
  granularity: Granularity;
  from: number;
  to: number;
}

const WINDOW_SHAPE: Record<KpiWindow, { granularity: Granularity; count: number }> = {
  '1h': { granularity: 'm', count: 60 },
  '24h': { granularity: 'h', count: 24 },
  '7d': { granularity: 'h', count: 168 },
};

/**
 * `1h` = the 60 minute buckets ending with the watermark's minute; `24h` / `7d` = the last 24 / 168
 * hour buckets including the watermark's hour.
 */
export function windowBuckets(window: KpiWindow, watermarkMs: number): WindowBuckets {
  const { granularity, count } = WINDOW_SHAPE[window];
  const to = bucketOf(granularity, watermarkMs);
  return { granularity, from: to - count + 1, to };
}

export function bucketIds(w: WindowBuckets): number[] {
  const ids: number[] = [];
  for (let b = w.from; b <= w.to; b++) ids.push(b);
  return ids;
}
