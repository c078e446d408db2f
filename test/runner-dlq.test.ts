import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, validateEvent, type ContactEvent, type InputTopic } from '@cxg/engine';
import { ConsumerRunner, createMetrics, createProducer, initTopics, produceRecords, readEndpoints, type Consumed } from '@cxg/platform';
import type { Producer } from 'kafkajs';
import { collect, eventually, kafkaFor, runId, serdeFor, testLog } from './helpers.ts';

const kafka = kafkaFor('test-runner');
const serde = serdeFor();
let producer: Producer;

beforeAll(async () => {
  await initTopics(kafka, serde, readEndpoints().partitions);
  producer = await createProducer(kafka);
});
afterAll(async () => {
  await producer?.disconnect();
});

const contact = (id: string, n: number, patch: Partial<ContactEvent> = {}): ContactEvent => {
  const t = Date.UTC(2026, 10, 3, 9, n, 0);
  return {
    event_id: `${id}-e${n}`, contact_id: `${id}-c${n}`, customer_id: `${id}-u`, provider_id: 'prov-a', agent_id: 'a1',
    channel: 'CHAT', queue: 'q', intent: 'billing.question', started_at: t, answered_at: t + 1000, ended_at: t + 60_000,
    outcome: 'RESOLVED', csat: null, sale_cents: 0, ...patch,
  };
};

describe('consumer runner', () => {
  it('dead-letters an unknown schema id and a rule violation with their reasons and keeps consuming', async () => {
    const id = runId('dlq');
    const customer = `${id}-u`;
    const seen: Consumed[] = [];
    const metrics = createMetrics('test-runner');
    const runner = new ConsumerRunner({
      kafka, groupId: `${id}-group`, topics: [TOPICS.contacts], serde, producer, metrics, log: testLog,
      validate: (topic, value) => validateEvent(topic as InputTopic, value, Date.now()),
      handler: {
        onBatch: async (records) => {
          seen.push(...records.filter((r) => r.key?.toString() === customer));
          return undefined;
        },
      },
    });
    await runner.start();
    try {
      const bad = contact(id, 2, { answered_at: Date.UTC(2026, 10, 3, 8, 0, 0) });
      await produceRecords(producer, serde, [{ topic: TOPICS.contacts, key: customer, value: contact(id, 1) }]);
      await producer.send({ topic: TOPICS.contacts, messages: [{ key: customer, value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf1, 1, 2, 3]) }] });
      await produceRecords(producer, serde, [
        { topic: TOPICS.contacts, key: customer, value: bad },
        { topic: TOPICS.contacts, key: customer, value: contact(id, 3) },
      ]);
      await eventually(() => (seen.length >= 2 ? true : undefined), 30_000, 'two good records');
      expect(seen.map((r) => (r.value as ContactEvent).event_id)).toEqual([`${id}-e1`, `${id}-e3`]);

      const dlq = await collect(kafka, TOPICS.dlq, (m) => m.key?.toString() === customer);
      const messages = await eventually(() => (dlq.messages.length >= 2 ? dlq.messages : undefined), 30_000, 'two DLQ records');
      await dlq.stop();
      const reasons = messages.map((m) => m.headers!['cx-reason']!.toString());
      expect(reasons).toEqual(['undecodable', 'answered_at_outside_contact']);
      for (const m of messages) {
        expect(m.headers!['cx-source-topic']!.toString()).toBe(TOPICS.contacts);
        expect(Number(m.headers!['cx-source-partition']!.toString())).toBeGreaterThanOrEqual(0);
        expect(m.headers!['cx-source-offset']!.toString()).toMatch(/^\d+$/);
      }
      // original bytes are kept: the undecodable record's value comes back byte for byte
      expect(messages[0]!.value).toEqual(Buffer.from([0, 0x7f, 0xff, 0xff, 0xf1, 1, 2, 3]));
      expect(await serde.decode(TOPICS.contacts, messages[1]!.value)).toMatchObject({ event_id: bad.event_id });
      // The group reads the shared topic from its beginning, so earlier runs' rejects count too.
      const dlqCounts = (await metrics.dlq.get()).values;
      expect(dlqCounts.find((v) => v.labels.reason === 'undecodable')?.value).toBeGreaterThanOrEqual(1);
      expect(dlqCounts.find((v) => v.labels.reason === 'answered_at_outside_contact')?.value).toBeGreaterThanOrEqual(1);
    } finally {
      await runner.stop();
    }
  });
});
