import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { MAX_REQUEST_BYTES } from './sink.ts';

export interface Rejected {
  /** The Kafka topic the record was read from (the DLQ header `cx-source-topic`). */
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
  message: string;
}

/** The headers of a DLQ record (docs/events.md, "The dead-letter queue"). */
export const DLQ_HEADERS = {
  sourceTopic: 'cx-source-topic',
  sourcePartition: 'cx-source-partition',
  sourceOffset: 'cx-source-offset',
  reason: 'cx-reason',
  error: 'cx-error',
  /** On a record `cxg dlq replay` sent back to its source topic: the DLQ record it came from, `<partition>/<offset>`. */
  replayOf: 'cx-dlq-replay-of',
} as const;

/**
 * Dead-letters rejected records to the Kafka topic `dlqTopic` (the DLQ's physical name) with their original key and bytes, so they can be inspected and
 * re-driven; headers carry where they came from and why. Delivery is at-least-once: after a crash a
 * rejected record may be dead-lettered twice, which never affects counts (it had no effect).
 */
export async function sendToDlq(producer: Producer, rejected: Rejected[], dlqTopic: string): Promise<void> {
  // In requests of at most MAX_REQUEST_BYTES: one fetched batch of bad records can exceed what the
  // broker accepts as one record batch.
  let chunk: Rejected[] = [];
  let bytes = 0;
  for (const r of rejected) {
    const size = (r.value?.length ?? 0) + (r.key?.length ?? 0) + 700; // + headers
    if (chunk.length > 0 && bytes + size > MAX_REQUEST_BYTES) {
      await send(producer, chunk, dlqTopic);
      chunk = [];
      bytes = 0;
    }
    chunk.push(r);
    bytes += size;
  }
  if (chunk.length > 0) await send(producer, chunk, dlqTopic);
}

async function send(producer: Producer, rejected: Rejected[], topic: string): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: rejected.map((r) => ({
      key: r.key,
      value: r.value,
      headers: {
        [DLQ_HEADERS.sourceTopic]: r.topic,
        [DLQ_HEADERS.sourcePartition]: String(r.partition),
        [DLQ_HEADERS.sourceOffset]: r.offset,
        [DLQ_HEADERS.reason]: r.reason,
        [DLQ_HEADERS.error]: r.message.slice(0, 512),
      },
    })),
  });
}

/** One record of the DLQ (cx.dlq.v1) as read back: where it sits, where it came from and why (null: header missing). */
export interface DeadLetter {
  dlqPartition: number;
  dlqOffset: string;
  /** The broker's append time: when it was dead-lettered. */
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  sourceTopic: string | null;
  sourcePartition: number | null;
  sourceOffset: string | null;
  reason: string | null;
  message: string | null;
}

function header(headers: IHeaders | undefined, name: string): string | null {
  const v = headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? null : first.toString();
}

/** A DLQ record with its headers parsed; a record written without them (by hand) has nulls there. */
export function readDeadLetter(partition: number, m: KafkaMessage): DeadLetter {
  const sourcePartition = header(m.headers, DLQ_HEADERS.sourcePartition);
  const sourceOffset = header(m.headers, DLQ_HEADERS.sourceOffset);
  return {
    dlqPartition: partition,
    dlqOffset: m.offset,
    timestampMs: Number(m.timestamp),
    key: m.key,
    value: m.value,
    sourceTopic: header(m.headers, DLQ_HEADERS.sourceTopic),
    sourcePartition: sourcePartition !== null && /^\d+$/.test(sourcePartition) ? Number(sourcePartition) : null,
    sourceOffset: sourceOffset !== null && /^\d+$/.test(sourceOffset) ? sourceOffset : null,
    reason: header(m.headers, DLQ_HEADERS.reason),
    message: header(m.headers, DLQ_HEADERS.error),
  };
}
