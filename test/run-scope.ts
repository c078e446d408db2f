// One test run's traffic kept apart from everything else on the shared stack, and checked against
// `replay`: ids and the contacts' provider_id carry the run id, so the run's signals (keyed by
// customer) and KPI counters (fields named after providers) can be picked out of shared topics and
// a shared Redis, then compared with what the engine computes from the same records.
import type { KafkaMessage } from 'kafkajs';
import { TOPICS, type JourneySignal, type KpiEvent, type ReplayResult, type WebJourneyEvent } from '@cxg/engine';
import type { OutRecord, Serde } from '@cxg/platform';
import { withIdPrefix, type SimRecord } from '@cxg/simulator';
import type { BucketDump } from '../services/kpi/test/support.ts';

/**
 * A simulated record with every id and its provider_id (contacts, customer events) prefixed by `run`. An empty id stays
 * empty: a bad record made to be rejected for it would otherwise become valid, and all such records
 * would share the id `<run>-` across partitions, where replay's duplicate judgement (global) and the
 * workers' (the detector's per customer, docs/detection.md; the kpi worker's per partition) differ:
 * extra signals and KPI counts that are no bug of the workers.
 */
export function scopedRecord(record: SimRecord, run: string): OutRecord {
  const original = record.value as Record<string, unknown>;
  const r = withIdPrefix(record, run);
  const v = { ...(r.value as Record<string, unknown>) };
  for (const [field, value] of Object.entries(original ?? {})) if (value === '') v[field] = '';
  if (typeof v.provider_id === 'string' && v.provider_id !== '') v.provider_id = `${run}-${v.provider_id}`;
  return { ...r, value: v } as OutRecord;
}

/** The KPI counters of the run's providers only (fields `<run>-…`), empty buckets left out. */
export function ownBuckets(d: BucketDump, run: string): BucketDump {
  return new Map(
    [...d].map(([b, row]) => [b, Object.fromEntries(Object.entries(row).filter(([f]) => f.startsWith(`${run}-`)))] as const).filter(([, row]) => Object.keys(row).length > 0),
  );
}

/** What the kpi worker counts from a replay: the accepted contacts and journeys (not customer events), and the signals. */
export function kpiEventsOf(reference: ReplayResult): KpiEvent[] {
  return [
    ...reference.accepted.flatMap((e): KpiEvent[] =>
      'contact_id' in e ? [{ kind: 'contact', event: e }] : 'journey' in e ? [{ kind: 'journey', event: e as WebJourneyEvent }] : [],
    ),
    ...reference.signals.map((s): KpiEvent => ({ kind: 'signal', event: s })),
  ];
}

/** Signals read from cx.signals.v1, by signal_id (a re-emitted signal must be the same signal). */
export async function signalsById(serde: Serde, messages: readonly KafkaMessage[]): Promise<{ byId: Map<string, JourneySignal>; reEmittedDiffering: string[] }> {
  const byId = new Map<string, JourneySignal>();
  const reEmittedDiffering: string[] = [];
  for (const m of messages) {
    const s = (await serde.decode(TOPICS.signals, m.value)) as JourneySignal;
    const prev = byId.get(s.signal_id);
    if (prev && JSON.stringify(prev) !== JSON.stringify(s)) reEmittedDiffering.push(s.signal_id);
    byId.set(s.signal_id, s);
  }
  return { byId, reEmittedDiffering };
}

export const sameBuckets = (a: BucketDump, b: BucketDump): boolean => JSON.stringify([...a]) === JSON.stringify([...b]);

/** How far `got` is from `want`, field by field: counts missing (under) and counted too often (over). */
export function bucketDiff(want: BucketDump, got: BucketDump): { under: number; over: number } {
  let under = 0;
  let over = 0;
  for (const b of new Set([...want.keys(), ...got.keys()])) {
    const w = want.get(b) ?? {};
    const g = got.get(b) ?? {};
    for (const f of new Set([...Object.keys(w), ...Object.keys(g)])) {
      const d = (g[f] ?? 0) - (w[f] ?? 0);
      if (d < 0) under -= d;
      else over += d;
    }
  }
  return { under, over };
}
