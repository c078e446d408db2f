// A plain kafkajs consumer over a fixed span of offsets: the fetch + decode ceiling, and the
// naive workers that await one store call per record.
import type { Kafka } from 'kafkajs';
import { setGroupOffsets, type Serde, type TopicPartitionOffset } from '@cxg/platform';
import { elapsed, now } from './measure.ts';

export interface SpanRead {
  records: number;
  seconds: number;
  /** false: stopped by the time limit before the end of the span */
  complete: boolean;
}

/**
 * Reads every record between `start` and `end` with a new group, decoding each value (Avro,
 * through the registry) and awaiting `each` for it; stops early after `maxSeconds`.
 */
export async function readSpan(
  kafka: Kafka,
  serde: Serde,
  groupId: string,
  start: readonly TopicPartitionOffset[],
  end: readonly TopicPartitionOffset[],
  each?: (topic: string, value: unknown, partition: number, offset: string) => Promise<void>,
  maxSeconds = Infinity,
): Promise<SpanRead> {
  const remaining = new Map<string, bigint>();
  for (const e of end) {
    const s = BigInt(start.find((x) => x.topic === e.topic && x.partition === e.partition)?.offset ?? '0');
    if (BigInt(e.offset) > s) remaining.set(`${e.topic}:${e.partition}`, BigInt(e.offset));
  }
  const topics = [...new Set(end.map((e) => e.topic))];
  await setGroupOffsets(kafka, groupId, start);
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics });
  let records = 0;
  let complete = remaining.size === 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let t0 = now();
  let started = false;
  if (complete) done();
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, isRunning }) => {
      if (!started) [started, t0] = [true, now()];
      const key = `${batch.topic}:${batch.partition}`;
      const until = remaining.get(key);
      if (until === undefined) return;
      for (const m of batch.messages) {
        if (BigInt(m.offset) >= until || !isRunning() || elapsed(t0) > maxSeconds) break;
        const value = await serde.decode(batch.topic, m.value);
        if (each) await each(batch.topic, value, batch.partition, m.offset);
        records++;
        if (BigInt(m.offset) === until - 1n) remaining.delete(key);
      }
      if (remaining.size === 0) complete = true;
      if (remaining.size === 0 || elapsed(t0) > maxSeconds) done();
    },
  });
  await finished;
  const seconds = elapsed(t0);
  await consumer.disconnect();
  return { records, seconds, complete };
}
