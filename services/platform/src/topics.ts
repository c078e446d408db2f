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
 * Creates every topic of SPEC section 1 with one partition count (inputs and signals are keyed by
 * customer and must be co-partitioned) and registers the Avro schemas. Running it twice changes nothing.
 */
export async function initTopics(kafka: Kafka, serde: Serde, partitions: number): Promise<TopicsInitResult> {
  const all = [...AVRO_TOPICS, TOPICS.dlq];
  const { created, existing } = await ensureTopics(
    kafka,
    all.map((topic) => ({ topic, numPartitions: partitions })),
  );
  const ids = await serde.registerAll();
  return { created, existing, schemaIds: Object.fromEntries(ids) };
}
