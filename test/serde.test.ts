import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, type ContactEvent, type CustomerEvent, type WebJourneyEvent } from '@cxg/engine';
import { createProducer, initTopics, produceRecords, readEndpoints, subjectOf } from '@cxg/platform';
import type { Producer } from 'kafkajs';
import { collect, eventually, kafkaFor, runId, serdeFor } from './helpers.ts';

const kafka = kafkaFor('test-serde');
let producer: Producer;
const serde = serdeFor();

beforeAll(async () => {
  await initTopics(kafka, serde, readEndpoints().partitions);
  producer = await createProducer(kafka);
});
afterAll(async () => {
  await producer?.disconnect();
});

describe('Avro serde through the real registry and Kafka', () => {
  it('round-trips every input record field for field', async () => {
    const id = runId('serde');
    const t = Date.UTC(2026, 10, 3, 9, 0, 0);
    const contact: ContactEvent = {
      event_id: `${id}-e1`, contact_id: `${id}-c1`, customer_id: `${id}-u1`, provider_id: 'prov-a', agent_id: null,
      channel: 'PHONE', queue: 'billing-de', intent: 'billing.invoice_question', started_at: t, answered_at: t + 15_000,
      ended_at: t + 315_000, outcome: 'RESOLVED', csat: 4, sale_cents: 1299,
    };
    const journey: WebJourneyEvent = {
      event_id: `${id}-w1`, session_id: `${id}-s1`, customer_id: null, journey: 'tariff.change', started_at: t,
      ended_at: t + 60_000, outcome: 'FAILED', last_step: 'confirm', error_code: 'E42',
    };
    const customer: CustomerEvent = {
      event_id: `${id}-k1`, customer_id: `${id}-u1`, provider_id: 'prov-b', type: 'ACTIVATED', occurred_at: t, won_by_provider: true,
    };
    await produceRecords(producer, serde, [
      { topic: TOPICS.contacts, key: contact.customer_id, value: contact },
      { topic: TOPICS.web, key: journey.session_id, value: journey },
      { topic: TOPICS.customers, key: customer.customer_id, value: customer },
    ]);
    const reader = serdeFor();
    for (const [topic, sent, key] of [
      [TOPICS.contacts, contact, contact.customer_id],
      [TOPICS.web, journey, journey.session_id],
      [TOPICS.customers, customer, customer.customer_id],
    ] as const) {
      const c = await collect(kafka, topic, (m) => m.key?.toString() === key);
      const [message] = await eventually(() => (c.messages.length > 0 ? c.messages : undefined), 30_000, `${topic} record`);
      await c.stop();
      expect(message!.value!.readUInt8(0)).toBe(0);
      expect({ ...(await reader.decode(topic, message!.value)) as object }).toEqual(sent);
    }
  });

  it('sets BACKWARD on the subjects: a v1 reader decodes a v2 record with an added optional field, and an incompatible v3 is refused', async () => {
    const topic = `cx.test-evolution-${runId('t')}`;
    const v1 = { type: 'record', name: 'Evo', namespace: 'cx.test', fields: [{ name: 'event_id', type: 'string' }] } as const;
    const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
    const v3 = { ...v1, fields: [...v1.fields, { name: 'required_now', type: 'string' }] };
    const writerV1 = serdeFor();
    writerV1.reader(topic, v1 as never);
    await writerV1.register(topic, v1 as never);
    const writerV2 = serdeFor();
    writerV2.reader(topic, v2 as never);
    const idV2 = await writerV2.register(topic, v2 as never);
    const bytes = await writerV2.encode(topic, { event_id: 'e1', note: 'added in v2' });
    expect(bytes.readUInt32BE(1)).toBe(idV2);

    const readerV1 = serdeFor();
    readerV1.reader(topic, v1 as never);
    expect({ ...(await readerV1.decode(topic, bytes)) as object }).toEqual({ event_id: 'e1' });

    const cfg = await fetch(`${readEndpoints().schemaRegistryUrl}/config/${subjectOf(topic)}`).then((r) => r.json());
    expect(String((cfg as { compatibilityLevel?: string }).compatibilityLevel).toUpperCase()).toBe('BACKWARD');
    const writerV3 = serdeFor();
    writerV3.reader(topic, v3 as never);
    await expect(writerV3.register(topic, v3 as never)).rejects.toThrow();
  });

  it('topics init is idempotent: a second run creates nothing and registers the same schema ids', async () => {
    const first = await initTopics(kafka, serde, readEndpoints().partitions);
    const second = await initTopics(kafka, serdeFor(), readEndpoints().partitions);
    expect(second.created).toEqual([]);
    expect(second.existing.sort()).toEqual([...first.created, ...first.existing].sort());
    expect(second.schemaIds).toEqual(first.schemaIds);
  });

  it('calls an unknown schema id undecodable instead of retrying forever', async () => {
    const bytes = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 0x41]);
    await expect(serde.decode(TOPICS.contacts, bytes)).rejects.toMatchObject({ name: 'UndecodableError' });
  });
});

