import type { Producer } from 'kafkajs';
import type { Serde } from './serde.ts';

export interface OutRecord {
  topic: string;
  key: string | null;
  value: unknown;
}

/** Encodes records with the registry serde and sends them with acks=all, grouped per topic. */
export async function produceRecords(producer: Producer, serde: Serde, records: readonly OutRecord[]): Promise<void> {
  if (records.length === 0) return;
  const byTopic = new Map<string, Array<{ key: string | null; value: Buffer }>>();
  for (const r of records) {
    let messages = byTopic.get(r.topic);
    if (!messages) byTopic.set(r.topic, (messages = []));
    messages.push({ key: r.key, value: await serde.encode(r.topic, r.value) });
  }
  await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
}
