import kafkajs, { type Kafka } from 'kafkajs';
import { AVRO_TOPICS, TOPICS } from '@cxg/engine';
import { ensureTopics } from './kafka.ts';
import type { Serde } from './serde.ts';

export interface TopicsInitResult {
  created: string[];
  existing: string[];
  schemaIds: Record<string, number>;
}

/**
 * Creates every topic of docs/events.md, under its Kafka name in `serde.names` (CX_TOPIC_PREFIX,
 * CX_TOPIC_*), with one partition count (inputs and signals are keyed by
 * customer and must be co-partitioned) and registers the Avro schemas. Running it twice changes nothing.
 *
 * Records carry the broker's append time, not the producer's clock: nothing reads record timestamps
 * for meaning (event times are in the values), and a producer host whose clock is off by more than
 * the broker's tolerance (`log.message.timestamp.after.max.ms`, 1 h by default) would otherwise have
 * its records refused. Retention and offset lookups by time then follow the broker's own clock.
 *
 * The DLQ accepts records DLQ_HEADROOM_BYTES larger than the largest input topic does, so that the
 * copy of a rejected record that was just small enough to be written (plus its headers) always fits.
 * `cx.dlq-replayed.v1` (what `cxg dlq replay` sent back, one marker per DLQ record) is compacted:
 * only each key's latest marker counts.
 */
export async function initTopics(kafka: Kafka, serde: Serde, partitions: number): Promise<TopicsInitResult> {
  const kafkaName = (t: string) => serde.names.physical(t);
  const avroTopics = AVRO_TOPICS.map(kafkaName);
  const appendTime = { name: 'message.timestamp.type', value: 'LogAppendTime' };
  const inputs = await ensureTopics(kafka, avroTopics.map((topic) => ({ topic, numPartitions: partitions, configEntries: [appendTime] })));
  const dlqMax = String((await largestRecordBytes(kafka, avroTopics)) + DLQ_HEADROOM_BYTES);
  const dlqTopic = kafkaName(TOPICS.dlq);
  const dlq = await ensureTopics(kafka, [{ topic: dlqTopic, numPartitions: partitions, configEntries: [appendTime, { name: 'max.message.bytes', value: dlqMax }] }]);
  if (dlq.existing.length > 0) await raiseDlqLimit(kafka, dlqTopic, Number(dlqMax));
  const replayed = await ensureTopics(kafka, [{ topic: kafkaName(TOPICS.dlqReplayed), numPartitions: partitions, configEntries: [appendTime, { name: 'cleanup.policy', value: 'compact' }] }]);
  const ids = await serde.registerAll();
  return {
    created: [...inputs.created, ...dlq.created, ...replayed.created],
    existing: [...inputs.existing, ...dlq.existing, ...replayed.existing],
    schemaIds: Object.fromEntries(ids),
  };
}

/**
 * Room a dead-lettered copy needs beyond the record it copies: the five cx-* headers (cx-error is at
 * most 512 characters) and the record framing. Generous, so the bound never depends on key sizes.
 */
export const DLQ_HEADROOM_BYTES = 64 * 1024;

/**
 * The largest record batch the topics accept (`max.message.bytes`, the broker's `message.max.bytes`
 * unless a topic overrides it). A record that the producer could just write there would not fit into
 * a DLQ with the same limit once its headers are added: the DLQ write would fail for good, and the
 * worker would retry that batch forever, stalling its partition (docs/bad-input.md).
 */
async function largestRecordBytes(kafka: Kafka, topics: readonly string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
    });
    return Math.max(...res.resources.map((r) => Number(r.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue ?? 1_048_588)));
  } finally {
    await admin.disconnect();
  }
}

/**
 * An existing DLQ created before the limit above (or by hand) gets it, keeping its other topic-level
 * settings: AlterConfigs replaces the whole set of a topic's overrides, so they are sent along.
 */
async function raiseDlqLimit(kafka: Kafka, dlqTopic: string, bytes: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: dlqTopic }] });
    const entries = res.resources[0]!.configEntries;
    const current = Number(entries.find((e) => e.configName === 'max.message.bytes')?.configValue ?? 0);
    if (current >= bytes) return;
    const overrides = entries
      .filter((e) => e.configSource === kafkajs.ConfigSource.TOPIC_CONFIG && !e.isSensitive && e.configName !== 'max.message.bytes')
      .map((e) => ({ name: e.configName, value: e.configValue }));
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: dlqTopic, configEntries: [...overrides, { name: 'max.message.bytes', value: String(bytes) }] }],
    });
  } finally {
    await admin.disconnect();
  }
}
