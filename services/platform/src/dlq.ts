import type { Producer } from 'kafkajs';
import { TOPICS } from '@cxg/engine';

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
  if (rejected.length === 0) return;
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
