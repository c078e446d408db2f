// The bench's input: a simulated stream with ids of its own, produced once to the real topics,
// and the offsets it spans, so every stage reads exactly these records.
import type { Kafka } from 'kafkajs';
import { DEFAULT_DETECTION, INPUT_TOPICS, replay, type JourneySignal } from '@cxg/engine';
import { createProducer, logEnds, produceRecords, type OutRecord, type Serde, type TopicPartitionOffset } from '@cxg/platform';
import { endOfStreamMarkers, type Marker } from '@cxg/detector';
import { simulate, withIdPrefix } from '@cxg/simulator';

export interface StreamSpec {
  customers: number;
  days: number;
  seed: number;
}

export interface BenchStream {
  /** Prefix of every id (and key) of this stream. */
  run: string;
  records: number;
  /** Records per input topic, end-of-stream markers included. */
  perTopic: Record<string, number>;
  /** Offsets before and after producing, per input topic partition. */
  start: TopicPartitionOffset[];
  end: TopicPartitionOffset[];
  /** What `cxg replay` gives for the same records: the reference every stage is checked against. */
  expected: { signals: JourneySignal[]; accepted: Record<string, number> };
  produceSeconds: number;
}

export interface SimulatedStream {
  records: OutRecord[];
  /** Sent last, each to its own partition (`endOfStreamMarkers`). */
  markers: Marker[];
}

/** The simulated records of `spec`, their ids prefixed with `run`, and one end-of-stream marker pair per partition. */
export function simulatedStream(run: string, spec: StreamSpec, nowMs: number, partitions: number): SimulatedStream {
  const records: OutRecord[] = [];
  let last = -Infinity;
  for (const r of simulate({ seed: spec.seed, customers: spec.customers, providers: 3, days: spec.days, nowMs, issueRate: 0.6 })) {
    const rec = withIdPrefix(r, run);
    records.push(rec);
    const t = (rec.value as { ended_at?: number }).ended_at;
    if (typeof t === 'number' && t > last) last = t;
  }
  // The markers advance every partition's watermark past the stream, so the reorder buffers
  // release it all without waiting for the idle timer.
  return { records, markers: endOfStreamMarkers(run, last + DEFAULT_DETECTION.allowedLatenessMs + 1000, partitions) };
}

/** The records accepted per input topic and the signals, as `cxg replay` computes them. */
export function expectedOf(records: readonly OutRecord[], nowMs: number): BenchStream['expected'] {
  const lines = records.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value }));
  const result = replay(lines, { nowMs });
  const rejected = new Set(result.rejected.map((r) => r.line));
  const accepted: Record<string, number> = {};
  // replay reports duplicates as a count only: a stream with duplicates is not checked per topic
  if (result.duplicates > 0) throw new Error('bench: the simulated stream has duplicates; per-topic counts would not be exact');
  for (const l of lines) if (!rejected.has(l.line)) accepted[l.topic] = (accepted[l.topic] ?? 0) + 1;
  return { signals: result.signals, accepted };
}

/** Produces the records, then the markers (idempotent, acks=all), and returns the offsets they span. */
export async function produceStream(kafka: Kafka, serde: Serde, run: string, { records, markers }: SimulatedStream, nowMs: number): Promise<BenchStream> {
  const topics = [...INPUT_TOPICS];
  const start = await logEnds(kafka, topics);
  const producer = await createProducer(kafka);
  const t0 = process.hrtime.bigint();
  try {
    for (let i = 0; i < records.length; i += 5000) await produceRecords(producer, serde, records.slice(i, i + 5000));
    for (const m of markers) {
      await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, partition: m.partition, value: await serde.encode(m.topic, m.value) }] });
    }
  } finally {
    await producer.disconnect();
  }
  const produceSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const all: OutRecord[] = [...records, ...markers];
  const perTopic: Record<string, number> = {};
  for (const r of all) perTopic[r.topic] = (perTopic[r.topic] ?? 0) + 1;
  return { run, records: all.length, perTopic, start, end: await logEnds(kafka, topics), expected: expectedOf(all, nowMs), produceSeconds };
}

/** Records of `topics` between two sets of offsets. */
export function span(start: readonly TopicPartitionOffset[], end: readonly TopicPartitionOffset[], topics: readonly string[]): number {
  let n = 0n;
  for (const e of end) {
    if (!topics.includes(e.topic)) continue;
    const s = start.find((x) => x.topic === e.topic && x.partition === e.partition);
    n += BigInt(e.offset) - BigInt(s?.offset ?? '0');
  }
  return Number(n);
}

export const only = (positions: readonly TopicPartitionOffset[], topics: readonly string[]): TopicPartitionOffset[] => positions.filter((p) => topics.includes(p.topic));
