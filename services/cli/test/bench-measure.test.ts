import { describe, expect, it } from 'vitest';
import { metricSum, quantile, quantileMs } from '../src/bench/measure.ts';
import { judge } from '../src/bench/targets.ts';
import { latencyQuantiles } from '../src/bench/latency.ts';
import type { BenchReport } from '../src/bench/run.ts';

const histogram = `# TYPE cx_batch_duration_seconds histogram
cx_batch_duration_seconds_bucket{le="0.1",topic="a"} 5
cx_batch_duration_seconds_bucket{le="0.25",topic="a"} 9
cx_batch_duration_seconds_bucket{le="+Inf",topic="a"} 10
cx_events_total{topic="cx.contacts.v1",result="accepted"} 7
cx_events_total{topic="cx.contacts.v1",result="duplicate"} 2
cx_events_total{topic="cx.web.v1",result="accepted"} 3
`;

describe('bench measurements', () => {
  it('reads a quantile as the upper bound of the bucket that holds it', () => {
    expect(quantileMs(histogram, 'cx_batch_duration_seconds', 0.5)).toBe(100);
    expect(quantileMs(histogram, 'cx_batch_duration_seconds', 0.9)).toBe(250);
    expect(quantileMs(histogram, 'cx_batch_duration_seconds', 0.99)).toBe(Infinity);
    expect(quantileMs('', 'cx_batch_duration_seconds', 0.5)).toBeUndefined();
  });

  it('sums the samples whose labels include every label asked', () => {
    expect(metricSum(histogram, 'cx_events_total')).toBe(12);
    expect(metricSum(histogram, 'cx_events_total', 'result="accepted"')).toBe(10);
    expect(metricSum(histogram, 'cx_events_total', 'topic="cx.contacts.v1"', 'result="accepted"')).toBe(7);
  });

  it('takes exact quantiles by nearest rank', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([5, 1, 4, 2, 3], 0.99)).toBe(5);
    expect(quantile([], 0.5)).toBeUndefined();
  });

  it('counts a record whose effect never showed as slower than all, so its quantile is not reached', () => {
    const seen = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(latencyQuantiles(seen, 100)).toEqual({ seen: 100, expected: 100, p50Ms: 50, p99Ms: 99, maxMs: 100 });
    // 2 of 100 never showed: p99 falls among them
    expect(latencyQuantiles(seen.slice(0, 98), 100)).toEqual({ seen: 98, expected: 100, p50Ms: 50, p99Ms: undefined, maxMs: undefined });
  });
});

describe('bench targets', () => {
  const stage = (id: string, perSecond: number) => ({ id, stage: id, records: 1, seconds: 1, perSecond });
  const report = (detector: number, bytes: number): BenchReport => ({
    id: 'b',
    startedAt: '',
    scale: 'small',
    stream: { customers: 1, days: 1, seed: 1, records: 1, perTopic: {}, signals: 0 },
    stages: [stage('ceiling:detector', 40_000), stage('detector', detector), stage('naive:detector', 2_000), stage('detectorx2', detector * 1.7)],
    redis: { detector: { customersSampled: 1, stateBytes: bytes, bytesPerCustomer: bytes }, kpi: { keys: 0, bytes: 0, providerDays: 1, bytesPerProviderDay: 0 } },
    checks: [],
  });

  it('judges the latency targets, the signal one against the reorder wait in wall time', () => {
    const q = (p99Ms: number | undefined) => ({ seen: 10, expected: 10, p50Ms: 1, p99Ms, maxMs: p99Ms });
    const r: BenchReport = {
      ...report(26_000, 280),
      latency: {
        offeredPerSecond: 5000, seconds: 60, sent: 300_000, achievedPerSecond: 5000, kpi: q(240), signal: q(1_100), ledger: { ...q(undefined), seen: 8 },
        eventTimeSpeedup: 1200, pollMs: { kpi: 10, ledger: 50 }, allowedLatenessMs: 120_000,
      },
    };
    const verdicts = Object.fromEntries(judge(r).map((v) => [v.target, v]));
    expect(verdicts['p99 produce → KPI count visible ≤ 250 ms at 5,000/s']?.met).toBe(true);
    // 120 000 ms of event time at 1 200× = 100 ms of wall time, + 1 s
    expect(verdicts['p99 produce → signal (reorder wait 100 ms + 1 s) ≤ 1,100 ms at 5,000/s']?.met).toBe(true);
    expect(verdicts['p99 produce → provisional ledger line ≤ 2,000 ms at 5,000/s']).toMatchObject({ met: false, measured: 'not reached (8 of 10 seen)' });
  });

  it('judges each target against the figures of the same run', () => {
    const met = (r: BenchReport) => Object.fromEntries(judge(r).map((v) => [v.target, v.met]));
    expect(met(report(26_000, 280))).toEqual({
      'detector ≥ 50 % of ceiling:detector': true,
      'detector ≥ 25,000/s': true,
      'detector ≥ 10× of naive:detector': true,
      'detector Redis per active customer ≤ 300 B': true,
      'two detectors ≥ 1.6× of detector': true,
    });
    const missed = met(report(15_000, 1_800));
    expect(missed['detector ≥ 50 % of ceiling:detector']).toBe(false);
    expect(missed['detector ≥ 25,000/s']).toBe(false);
    expect(missed['detector Redis per active customer ≤ 300 B']).toBe(false);
  });
});
