import type { Producer } from 'kafkajs';
import { createKafka, createProducer } from './kafka.ts';
import { createLogger } from './logger.ts';
import { readEndpoints, type Endpoints } from './env.ts';
import { Serde } from './serde.ts';
import type { TopicNames } from './topic-names.ts';

export interface OutRecord {
  topic: string;
  key: string | null;
  value: unknown;
}

export interface ProduceOptions {
  /**
   * A value the schema cannot encode is sent as its JSON bytes instead of failing the batch, so
   * consumers dead-letter it as undecodable: how the simulator's --bad-ratio reaches Kafka.
   */
  rawOnEncodeError?: boolean;
}

/**
 * Bytes of keys and values per produce request. A broker refuses a record batch larger than its
 * `message.max.bytes` (1 MiB by default) with a non-retriable error, and one request's records for a
 * partition form one batch: a worker releasing a large backlog at once (tens of thousands of
 * signals) must split its sends, never exceed the limit.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

/**
 * Encodes records with the registry serde and sends them with acks=all, grouped per topic, in
 * requests of at most MAX_REQUEST_BYTES, one after the other (so per-partition order holds).
 * `topic` is the logical one: the records go to its Kafka topic under `serde.names`.
 */
export async function produceRecords(producer: Producer, serde: Serde, records: readonly OutRecord[], opts: ProduceOptions = {}): Promise<void> {
  if (records.length === 0) return;
  let byTopic = new Map<string, Array<{ key: string | null; value: Buffer }>>();
  let bytes = 0;
  const flush = async () => {
    if (byTopic.size === 0) return;
    await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    byTopic = new Map();
    bytes = 0;
  };
  for (const r of records) {
    let value: Buffer;
    try {
      value = await serde.encode(r.topic, r.value);
    } catch (err) {
      if (!opts.rawOnEncodeError) throw new Error(`cannot encode a record for ${r.topic}: ${(err as Error).message}`, { cause: err });
      value = Buffer.from(JSON.stringify(r.value));
    }
    const size = value.length + (r.key === null ? 0 : Buffer.byteLength(r.key)) + 64; // + record overhead
    if (bytes + size > MAX_REQUEST_BYTES) await flush();
    const topic = serde.names.physical(r.topic);
    let messages = byTopic.get(topic);
    if (!messages) byTopic.set(topic, (messages = []));
    messages.push({ key: r.key, value });
    bytes += size;
  }
  await flush();
}

export interface KafkaSink {
  send(batch: readonly OutRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** The simulator's `--kafka` output: an idempotent producer with the registry serde, to the Kafka topics of `names` (`readTopicNames()`). */
export async function createKafkaSink(opts: { endpoints?: Endpoints; names: TopicNames }): Promise<KafkaSink> {
  const endpoints = opts.endpoints ?? readEndpoints();
  const { names } = opts;
  const kafka = createKafka(endpoints, 'cx-simulator', createLogger('simulator', 'warn'));
  const producer = await createProducer(kafka);
  const serde = Serde.create(endpoints.schemaRegistryUrl, { names });
  return {
    send: (batch) => produceRecords(producer, serde, batch, { rawOnEncodeError: true }),
    close: () => producer.disconnect(),
  };
}
