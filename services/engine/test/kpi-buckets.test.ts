import { describe, expect, it } from 'vitest';
import { bucketIds, hourBucket, minuteBucket, windowBuckets } from '../src/kpi/index.ts';
import { HOUR, MIN } from './fixtures.ts';

describe('KPI buckets (docs/kpis.md)', () => {
  const t = Date.UTC(2026, 10, 3, 10, 37, 12, 345);

  it('puts an event time into floor(t / 60 000) and floor(t / 3 600 000)', () => {
    expect(minuteBucket(t)).toBe(Math.floor(t / MIN));
    expect(hourBucket(t)).toBe(Math.floor(t / HOUR));
    // a bucket starts inclusive and ends exclusive
    const m0 = Date.UTC(2026, 10, 3, 10, 37);
    expect(minuteBucket(m0)).toBe(minuteBucket(m0 + MIN - 1));
    expect(minuteBucket(m0 - 1)).toBe(minuteBucket(m0) - 1);
    expect(hourBucket(Date.UTC(2026, 10, 3, 11) - 1)).toBe(hourBucket(Date.UTC(2026, 10, 3, 10)));
  });

  it('1h is the 60 minute buckets ending with the watermark minute', () => {
    const w = windowBuckets('1h', t);
    expect(w).toEqual({ granularity: 'm', from: minuteBucket(t) - 59, to: minuteBucket(t) });
    expect(bucketIds(w)).toHaveLength(60);
    // 10:37:12 → buckets 09:38 .. 10:37
    expect(w.from * MIN).toBe(Date.UTC(2026, 10, 3, 9, 38));
  });

  it('24h and 7d are the last 24 / 168 hour buckets including the watermark hour', () => {
    const d = windowBuckets('24h', t);
    expect(d).toEqual({ granularity: 'h', from: hourBucket(t) - 23, to: hourBucket(t) });
    expect(d.from * HOUR).toBe(Date.UTC(2026, 10, 2, 11));
    const w = windowBuckets('7d', t);
    expect(bucketIds(w)).toHaveLength(168);
    expect(w.to).toBe(hourBucket(t));
  });
});
