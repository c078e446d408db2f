import type { Kafka } from 'kafkajs';
import { AVRO_TOPICS, TOPICS } from '@cxg/engine';
import { ensureTopics } from './kafka.ts';
import type { Serde } from './serde.ts';

export interface TopicsInitResult {
  created: string[];
  existing: string[];
  schemaIds: Record<string, number>;
}

/**
 * Creates every topic of docs/events.md with one partition count (inputs and signals are keyed by
 * customer and must be co-partitioned) and registers the Avro schemas. Running it twice changes nothing.
 *
 * Records carry the broker's append time, not the producer's clock: nothing reads record timestamps
 * for meaning (event times are in the values), and a producer host whose clock is off by more than
 * the broker's tolerance (`log.message.timestamp.after.max.ms`, 1 h by default) would otherwise have
 * its records refused. Retention and offset lookups by time then follow the broker's own clock.
 */
export async function initTopics(kafka: Kafka, serde: Serde, partitions: number): Promise<TopicsInitResult> {
  const all = [...AVRO_TOPICS, TOPICS.dlq];
  const { created, existing } = await ensureTopics(
    kafka,
    all.map((topic) => ({ topic, numPartitions: partitions, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] })),
  );
  const ids = await serde.registerAll();
  return { created, existing, schemaIds: Object.fromEntries(ids) };
}
