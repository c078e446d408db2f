// Latency at a fixed offered rate, with the three workers running: from the moment a record is
// handed to the producer until its effect can be seen where its users look.
// Docs: docs/performance.md, "Latency".
import { Partitioners, type Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import { TOPICS } from '@cxg/engine';
import { createProducer, logEnds, setGroupOffsets, type OutRecord, type Serde } from '@cxg/platform';
import type { KpiKeys } from '@cxg/kpi';
import type { Marker } from '@cxg/detector';

export interface LatencyQuantiles {
  /** Records (or signals) whose effect was seen, of those expected. */
  seen: number;
  expected: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
}

export interface LatencyReport {
  offeredPerSecond: number;
  seconds: number;
  /** Records sent, and the rate they actually went out at. */
  sent: number;
  achievedPerSecond: number;
  /** Produce → the kpi worker's applied offset in Redis passed the record (its counts are visible). */
  kpi: LatencyQuantiles;
  /** Produce of a contact → its signal on cx.signals.v1 (the signal record's Kafka timestamp). */
  signal: LatencyQuantiles;
  /** Produce → the accruals group committed past the record; it commits only after rating, so its provisional lines are in ClickHouse. */
  ledger: LatencyQuantiles;
  /**
   * The simulated stream's event time runs this many times faster than the wall clock while it is
   * offered, so the reorder buffer's wait of L (event time) lasts L / this in wall time.
   */
  eventTimeSpeedup: number;
  /** How often the visibility of each was polled: a latency is late by up to this much. */
  pollMs: { kpi: number; ledger: number };
}

export interface LatencyOptions {
  kafka: Kafka;
  serde: Serde;
  redis: Redis;
  /** The records to offer, in order; the first `rate × seconds` of them are sent. */
  records: readonly OutRecord[];
  /** Sent after the paced records so that the detector releases the last ones without waiting for its idle timer. */
  markers: readonly Marker[];
  ratePerSecond: number;
  seconds: number;
  partitions: number;
  kpiKeys: KpiKeys;
  accrualsGroup: string;
  /** Set the workers' groups to the log ends before any record is sent, then start them (they are ready when it resolves). */
  startWorkers(ends: Awaited<ReturnType<typeof logEnds>>): Promise<void>;
}

const KPI_POLL_MS = 10;
const MAX_PER_REQUEST = 500;
const LEDGER_POLL_MS = 50;
/** After the last record: how long effects may still come. */
const SETTLE_MS = 30_000;

/** Send times of one topic-partition's records, in offset order, and how many of them were seen. */
class Sent {
  readonly offsets: bigint[] = [];
  readonly at: number[] = [];
  seenUpTo = 0;

  /** Latencies of the records below `nextOffset` not seen before, as seen at `nowMs`. */
  seeUpTo(nextOffset: bigint, nowMs: number, out: number[]): void {
    while (this.seenUpTo < this.offsets.length && this.offsets[this.seenUpTo]! < nextOffset) out.push(nowMs - this.at[this.seenUpTo++]!);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Quantiles over `expected` records, of which `values` were seen: an unseen one counts as slower
 * than all, so a quantile that falls among them is undefined (not reached), never flattered.
 */
export function latencyQuantiles(values: readonly number[], expected: number): LatencyQuantiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const rank = Math.max(1, Math.ceil(q * Math.max(expected, sorted.length)));
    return rank <= sorted.length ? sorted[rank - 1] : undefined;
  };
  return { seen: values.length, expected, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

/**
 * Offers `rate` records/s for `seconds` (an idempotent producer, acks=all, partitioned by key like
 * every producer of the pipeline) and watches, while it runs and for a while after, when each
 * record's effect shows: the kpi worker's applied offsets in Redis, the signals topic, the accruals
 * group's commits.
 */
export async function measureLatency(o: LatencyOptions): Promise<LatencyReport> {
  const total = Math.min(o.records.length, Math.round(o.ratePerSecond * o.seconds));
  const inputTopics = [TOPICS.contacts, TOPICS.web, TOPICS.customers];
  const ends = await logEnds(o.kafka, [...inputTopics, TOPICS.signals]);
  await o.startWorkers(ends);

  const sent = new Map<string, Sent>();
  const sentOf = (topic: string, partition: number) => {
    let s = sent.get(`${topic}:${partition}`);
    if (!s) sent.set(`${topic}:${partition}`, (s = new Sent()));
    return s;
  };
  const contactSentAt = new Map<string, number>();
  const kpiLatencies: number[] = [];
  const ledgerLatencies: number[] = [];
  /** By contact event_id: a consumer that rejoins its group reads signals again, each counts once. */
  const signalLatencies = new Map<string, number>();

  // Signals: a consumer from the current end of the topic; the detector's producer stamps each record.
  const signalGroup = `${o.accrualsGroup}-latency-signals`;
  await setGroupOffsets(o.kafka, signalGroup, ends.filter((e) => e.topic === TOPICS.signals));
  const consumer = o.kafka.consumer({ groupId: signalGroup, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPICS.signals] });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const signal = (await o.serde.decode(TOPICS.signals, m.value)) as { contact_event_id: string };
        const at = contactSentAt.get(signal.contact_event_id);
        if (at !== undefined && !signalLatencies.has(signal.contact_event_id)) signalLatencies.set(signal.contact_event_id, Number(m.timestamp) - at);
      }
    },
  });

  let watching = true;
  const watchKpi = (async () => {
    while (watching) {
      const p = o.redis.pipeline();
      for (let i = 0; i < o.partitions; i++) p.hgetall(o.kpiKeys.applied(i));
      const at = Date.now();
      const res = (await p.exec()) ?? [];
      res.forEach(([err, applied], partition) => {
        if (err) return;
        for (const [topic, offset] of Object.entries(applied as Record<string, string>)) sent.get(`${topic}:${partition}`)?.seeUpTo(BigInt(offset) + 1n, at, kpiLatencies);
      });
      await sleep(KPI_POLL_MS);
    }
  })();
  const admin = o.kafka.admin();
  await admin.connect();
  const watchLedger = (async () => {
    while (watching) {
      const at = Date.now();
      for (const t of await admin.fetchOffsets({ groupId: o.accrualsGroup, topics: inputTopics })) {
        for (const p of t.partitions) if (p.offset !== '-1') sent.get(`${t.topic}:${p.partition}`)?.seeUpTo(BigInt(p.offset), at, ledgerLatencies);
      }
      await sleep(LEDGER_POLL_MS);
    }
  })();

  const producer = await createProducer(o.kafka);
  const partitionOf = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: o.partitions }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  let i = 0;
  const t0 = Date.now();
  try {
    while (i < total) {
      const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * o.ratePerSecond));
      if (due <= i) {
        await sleep(2);
        continue;
      }
      // A producer that fell behind catches up in requests of a bounded size (the broker caps them).
      const chunk = o.records.slice(i, Math.min(due, i + MAX_PER_REQUEST));
      i += chunk.length;
      const byTopic = new Map<string, Array<{ key: string | null; value: Buffer; partition: number }>>();
      for (const r of chunk) {
        const value = await o.serde.encode(r.topic, r.value);
        const partition = partitionOf({ topic: r.topic, partitionMetadata, message: { key: r.key, value } });
        let messages = byTopic.get(r.topic);
        if (!messages) byTopic.set(r.topic, (messages = []));
        messages.push({ key: r.key, value, partition });
      }
      const at = Date.now();
      for (const r of chunk) if (r.topic === TOPICS.contacts) contactSentAt.set((r.value as { event_id: string }).event_id, at);
      const meta = await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      // Within one request each partition's messages are appended in order from its base offset.
      for (const [topic, messages] of byTopic) {
        const next = new Map(meta.filter((m) => m.topicName === topic).map((m) => [m.partition, BigInt(m.baseOffset!)]));
        for (const m of messages) {
          const offset = next.get(m.partition)!;
          next.set(m.partition, offset + 1n);
          const s = sentOf(topic, m.partition);
          s.offsets.push(offset);
          s.at.push(at);
        }
      }
    }
    const seconds = (Date.now() - t0) / 1000;
    const times = o.records.slice(0, total).map((r) => (r.value as { ended_at?: number; occurred_at?: number }).ended_at ?? (r.value as { occurred_at?: number }).occurred_at ?? NaN).filter(Number.isFinite);
    const eventSpanMs = times.length < 2 ? 0 : times.reduce((a, b) => Math.max(a, b)) - times.reduce((a, b) => Math.min(a, b));
    for (const m of o.markers) await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, partition: m.partition, value: await o.serde.encode(m.topic, m.value) }] });
    const want = (kind: 'kpi' | 'ledger'): number => [...sent].filter(([k]) => kind === 'ledger' || !k.startsWith(`${TOPICS.customers}:`)).reduce((n, [, s]) => n + s.offsets.length, 0);
    const settleUntil = Date.now() + SETTLE_MS;
    while (Date.now() < settleUntil && (kpiLatencies.length < want('kpi') || ledgerLatencies.length < want('ledger'))) await sleep(100);
    await sleep(1000); // the last signals
    return {
      offeredPerSecond: o.ratePerSecond,
      seconds: o.seconds,
      sent: total,
      achievedPerSecond: total / seconds,
      kpi: latencyQuantiles(kpiLatencies, want('kpi')),
      // The signals the detector owes are not known here; those it sent are the ones counted.
      signal: latencyQuantiles([...signalLatencies.values()], signalLatencies.size),
      ledger: latencyQuantiles(ledgerLatencies, want('ledger')),
      eventTimeSpeedup: eventSpanMs / (seconds * 1000),
      pollMs: { kpi: KPI_POLL_MS, ledger: LEDGER_POLL_MS },
    };
  } finally {
    watching = false;
    await Promise.allSettled([watchKpi, watchLedger]);
    await producer.disconnect();
    await consumer.disconnect();
    await admin.disconnect();
  }
}
