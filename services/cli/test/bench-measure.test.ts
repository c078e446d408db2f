import { describe, expect, it } from 'vitest';
import { metricSum, quantile, quantileMs } from '../src/bench/measure.ts';
import { judge } from '../src/bench/targets.ts';
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
});

describe('bench targets', () => {
  const stage = (id: string, perSecond: number) => ({ id, stage: id, records: 1, seconds: 1, perSecond });
  const report = (detector: number, bytes: number): BenchReport => ({
    id: 'b',
    startedAt: '',
    scale: 'small',
    stream: { customers: 1, days: 1, seed: 1, records: 1, perTopic: {}, signals: 0 },
    stages: [stage('ceiling:detector', 40_000), stage('detector', detector), stage('naive:detector', 2_000), stage('detectorx2', detector * 1.7)],
    redis: { detector: { customersSampled: 1, timelineBytes: bytes, markerBytes: 0, bytesPerCustomer: bytes }, kpi: { keys: 0, bytes: 0, providerDays: 1, bytesPerProviderDay: 0 } },
    checks: [],
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
