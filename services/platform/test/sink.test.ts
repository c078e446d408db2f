import { describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { MAX_REQUEST_BYTES, produceRecords } from '../src/sink.ts';
import { sendToDlq, type Rejected } from '../src/dlq.ts';
import type { Serde } from '../src/serde.ts';
import { DEFAULT_TOPIC_NAMES, topicNames } from '../src/topic-names.ts';

/** A producer that records each request's bytes and messages, as the broker would see them. */
function recorder() {
  const requests: Array<{ bytes: number; keys: string[] }> = [];
  const add = (messages: Array<{ key: unknown; value: unknown }>) =>
    requests.push({
      bytes: messages.reduce((n, m) => n + (m.value as Buffer).length, 0),
      keys: messages.map((m) => String(m.key)),
    });
  const producer = {
    sendBatch: async (b: { topicMessages: Array<{ messages: Array<{ key: unknown; value: unknown }> }> }) => add(b.topicMessages.flatMap((t) => t.messages)),
    send: async (b: { messages: Array<{ key: unknown; value: unknown }> }) => add(b.messages),
  };
  return { producer: producer as unknown as Producer, requests };
}

describe('produce requests stay below the broker limit', () => {
  it('splits a large release of records into requests of at most MAX_REQUEST_BYTES, in order', async () => {
    const { producer, requests } = recorder();
    const serde = { names: DEFAULT_TOPIC_NAMES, encode: async (_t: string, v: unknown) => Buffer.alloc(300, String(v)) } as unknown as Serde;
    const records = Array.from({ length: 20_000 }, (_, i) => ({ topic: 'cx.signals.v1', key: `k${i}`, value: i % 10 }));
    await produceRecords(producer, serde, records);
    expect(requests.length).toBeGreaterThan(10); // 6 MB in all: one request would be refused
    for (const r of requests) expect(r.bytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(requests.flatMap((r) => r.keys)).toEqual(records.map((r) => r.key));
  });

  it('dead-letters a large batch of bad records in several requests', async () => {
    const { producer, requests } = recorder();
    const rejected: Rejected[] = Array.from({ length: 3000 }, (_, i) => ({
      topic: 'cx.contacts.v1', partition: 0, offset: String(i), key: Buffer.from(`k${i}`), value: Buffer.alloc(1000), reason: 'undecodable', message: 'x',
    }));
    await sendToDlq(producer, rejected, 'cx.dlq.v1');
    expect(requests.length).toBeGreaterThan(3);
    for (const r of requests) expect(r.bytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(requests.flatMap((r) => r.keys)).toEqual(rejected.map((r) => String(r.key)));
  });
});

describe('records go to the Kafka topic of their logical topic', () => {
  it('produceRecords sends to serde.names.physical(topic), encoding under the logical topic', async () => {
    const sent: string[] = [];
    const encoded: string[] = [];
    const producer = { sendBatch: async (b: { topicMessages: Array<{ topic: string }> }) => sent.push(...b.topicMessages.map((t) => t.topic)) } as unknown as Producer;
    const serde = { names: topicNames({}, 'stage.'), encode: async (t: string) => (encoded.push(t), Buffer.alloc(8)) } as unknown as Serde;
    await produceRecords(producer, serde, [
      { topic: 'cx.contacts.v1', key: 'a', value: 1 },
      { topic: 'cx.web.v1', key: 'a', value: 2 },
    ]);
    expect(encoded).toEqual(['cx.contacts.v1', 'cx.web.v1']);
    expect(sent).toEqual(['stage.contacts.v1', 'stage.web.v1']);
  });

  it('sendToDlq writes to the DLQ topic it is given', async () => {
    const topics: string[] = [];
    const producer = { send: async (b: { topic: string }) => topics.push(b.topic) } as unknown as Producer;
    await sendToDlq(producer, [{ topic: 'stage.contacts.v1', partition: 0, offset: '1', key: null, value: null, reason: 'undecodable', message: 'x' }], 'stage.dlq.v1');
    expect(topics).toEqual(['stage.dlq.v1']);
  });
});
