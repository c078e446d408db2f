import type { Producer } from 'kafkajs';
import { TOPICS } from '@cxg/engine';
import { MAX_REQUEST_BYTES } from './sink.ts';

export interface Rejected {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
  message: string;
}

/**
 * Dead-letters rejected records with their original key and bytes, so they can be inspected and
 * re-driven; headers carry where they came from and why. Delivery is at-least-once: after a crash a
 * rejected record may be dead-lettered twice, which never affects counts (it had no effect).
 */
export async function sendToDlq(producer: Producer, rejected: Rejected[]): Promise<void> {
  // In requests of at most MAX_REQUEST_BYTES: one fetched batch of bad records can exceed what the
  // broker accepts as one record batch.
  let chunk: Rejected[] = [];
  let bytes = 0;
  for (const r of rejected) {
    const size = (r.value?.length ?? 0) + (r.key?.length ?? 0) + 700; // + headers
    if (chunk.length > 0 && bytes + size > MAX_REQUEST_BYTES) {
      await send(producer, chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(r);
    bytes += size;
  }
  if (chunk.length > 0) await send(producer, chunk);
}

async function send(producer: Producer, rejected: Rejected[]): Promise<void> {
  await producer.send({
    topic: TOPICS.dlq,
    acks: -1,
    messages: rejected.map((r) => ({
      key: r.key,
      value: r.value,
      headers: {
        'cx-source-topic': r.topic,
        'cx-source-partition': String(r.partition),
        'cx-source-offset': r.offset,
        'cx-reason': r.reason,
        'cx-error': r.message.slice(0, 512),
      },
    })),
  });
}
