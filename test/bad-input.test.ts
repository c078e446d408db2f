// The bad-input corpus (test/corpus/events.ts, docs/bad-input.md) against the real stack: every
// entry is written with a raw kafkajs producer straight onto cx.contacts.v1 or cx.web.v1, between
// good records of the same partitions, while one detector (`cxg run detector`, the DLQ owner of
// both topics) runs as a child process. Each bad record must come back from cx.dlq.v1 with its
// reason, its source position and its original bytes; the good records around them must give
// exactly the signals they give alone (the engine's replay); the worker must still be the same
// running process, without a crashed consumer or a retried batch. The replay-only part of the
// corpus (decoding reasons an Avro frame cannot carry) goes through `cxg replay --json`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import avro from 'avsc';
import kafkajs, { type KafkaMessage, type Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { DEFAULT_DETECTION, TOPICS, replay, type ContactEvent, type JourneySignal, type WebJourneyEvent } from '@cxg/engine';
import { createProducer, groupAtLogEnd, initTopics, loadSchema, readEndpoints, subjectOf } from '@cxg/platform';
import { redisNowMs } from '@cxg/platform/testing';
import { DETECTOR_TOPICS, endOfStreamMarkers } from '@cxg/detector';
import { KAFKA_CORPUS, REPLAY_CORPUS, type CorpusContext, type InputTopicName, type KafkaEntry } from './corpus/events.ts';
import { collect, eventually, freePort, kafkaFor, runId, serdeFor, spawnCxg } from './helpers.ts';

const kafka = kafkaFor('test-bad-input');
const serde = serdeFor();
const redis = new Redis(readEndpoints().redisUrl);
/**
 * Subjects of their own for two newer contacts schemas: one more optional field (compatible both
 * ways: an older reader drops it), and that plus one more channel VIDEO (an older reader cannot
 * resolve it at all, whatever channel a record has: docs/bad-input.md).
 */
const EVOLVED = { field: 'cx.bad-input.contacts-extra-field', channel: 'cx.bad-input.contacts-extra-channel' } as const;
let producer: Producer;
let maxMessageBytes: number;
const evolvedIds: Record<keyof typeof EVOLVED, number> = { field: 0, channel: 0 };
const evolvedTypes = { field: avro.Type.forSchema(evolvedContactSchema(false)), channel: avro.Type.forSchema(evolvedContactSchema(true)) };

function evolvedContactSchema(video: boolean): avro.Schema {
  const schema = structuredClone(loadSchema(TOPICS.contacts)) as { fields: Array<{ name: string; type: unknown; default?: unknown }> };
  if (video) {
    const channel = schema.fields.find((f) => f.name === 'channel')!.type as { symbols: string[] };
    channel.symbols = [...channel.symbols, 'VIDEO'];
  }
  schema.fields.push({ name: 'note', type: ['null', 'string'], default: null });
  return schema as unknown as avro.Schema;
}

beforeAll(async () => {
  await initTopics(kafka, serde, readEndpoints().partitions);
  producer = await createProducer(kafka);
  evolvedIds.field = await serde.register(EVOLVED.field, evolvedContactSchema(false));
  evolvedIds.channel = await serde.register(EVOLVED.channel, evolvedContactSchema(true));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.BROKER, name: String(brokers[0]!.nodeId), configNames: ['message.max.bytes'] }],
    });
    maxMessageBytes = Number(res.resources[0]!.configEntries.find((e) => e.configName === 'message.max.bytes')!.configValue);
  } finally {
    await admin.disconnect();
  }
});
afterAll(async () => {
  await producer?.disconnect();
  redis.disconnect();
  for (const name of Object.values(EVOLVED)) {
    const subject = `${readEndpoints().schemaRegistryUrl}/subjects/${encodeURIComponent(subjectOf(name))}`;
    await fetch(subject, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${subject}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
});

interface Sent {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
}

/** One message per request, so each record's partition and offset are known and the order is exactly this one. */
async function sendRaw(topic: string, key: string | null, value: Buffer | null): Promise<Sent> {
  const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value }] });
  return { topic, partition: meta!.partition, offset: meta!.baseOffset!, key, value };
}

const MIN = 60_000;

/** Good records of the run: per customer a failed journey, a phone call 5 min later (a switch), a chat 30 min later (a repeat). */
function goodRecords(run: string, nowMs: number) {
  const t0 = nowMs - 3 * 60 * MIN;
  const key = (u: number) => `${run}-u${u}`;
  const contact = (entry: string, u: number, patch: Partial<ContactEvent> = {}): ContactEvent => {
    const t = patch.started_at ?? t0 + u * 7 * MIN;
    return {
      event_id: `${run}-${entry}-e`, contact_id: `${run}-${entry}-c`, customer_id: key(u), provider_id: 'prov-a', agent_id: 'a-1',
      channel: 'PHONE', queue: 'billing', intent: 'billing.invoice_question', started_at: t, answered_at: t + 20_000, ended_at: t + 4 * MIN,
      outcome: 'RESOLVED', csat: 4, sale_cents: 0, ...patch,
    };
  };
  const journey = (entry: string, u: number, patch: Partial<WebJourneyEvent> = {}): WebJourneyEvent => {
    const t = patch.started_at ?? t0 + u * 7 * MIN - 10 * MIN;
    return {
      event_id: `${run}-${entry}-w`, session_id: `${run}-${entry}-s`, customer_id: key(u), journey: 'billing.invoice_download',
      started_at: t, ended_at: t + 4 * MIN, outcome: 'FAILED', last_step: 'download', error_code: null, ...patch,
    };
  };
  const firstGood = contact('first', 0, { intent: 'tariff.change', started_at: t0 - 60 * MIN });
  const records: Array<{ topic: InputTopicName; key: string; value: ContactEvent | WebJourneyEvent; evolved?: true }> = [
    { topic: TOPICS.contacts, key: key(0), value: firstGood },
  ];
  for (let u = 0; u < 6; u++) {
    const j = journey(`g${u}`, u);
    records.push({ topic: TOPICS.web, key: key(u), value: j });
    records.push({ topic: TOPICS.contacts, key: key(u), value: contact(`g${u}-call`, u, { started_at: j.ended_at + 5 * MIN }) });
    records.push({ topic: TOPICS.contacts, key: key(u), value: contact(`g${u}-chat`, u, { channel: 'CHAT', started_at: j.ended_at + 30 * MIN }) });
  }
  const late = t0 + 90 * MIN;
  records.push(
    { topic: TOPICS.web, key: `${run}-anon-s`, value: journey('anon', 0, { customer_id: null, session_id: `${run}-anon-s`, started_at: late }) },
    { topic: TOPICS.contacts, key: key(1), value: contact('abandoned', 1, { answered_at: null, outcome: 'ABANDONED', csat: null, started_at: late }) },
    // exactly 256 code points (512 UTF-16 units) is allowed
    { topic: TOPICS.contacts, key: key(2), value: contact('emoji256', 2, { queue: '😀'.repeat(256), started_at: late + MIN }) },
    // written with a newer schema that only adds an optional field: resolves to the reader's, the field dropped
    { topic: TOPICS.contacts, key: key(3), value: contact('evolved', 3, { started_at: late + 2 * MIN }), evolved: true },
  );
  records.sort((a, b) => a.value.ended_at - b.value.ended_at);
  // an exact copy of an accepted record: a duplicate, never dead-lettered
  records.push({ ...records[3]! });
  return { records, key, contact, journey, firstGood };
}

const frameOf = (id: number, body: Buffer): Buffer => {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(id, 1);
  body.copy(out, 5);
  return out;
};

async function metricsText(port: number): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
}

describe('bad input on the input topics', () => {
  it('dead-letters every corpus entry with its reason while the good records around them give their own signals and the detector keeps running', async () => {
    const run = runId('bad');
    const nowMs = await redisNowMs(redis);
    const good = goodRecords(run, nowMs);
    const ctx: CorpusContext = {
      nowMs,
      contact: (entry, u, patch) => good.contact(`bad-${entry}`, u, patch),
      journey: (entry, u, patch) => good.journey(`bad-${entry}`, u, patch),
      key: good.key,
      frame: (topic, value) => serde.encode(topic, value),
      evolvedContactFrame: async (value, change) => frameOf(evolvedIds[change], evolvedTypes[change].toBuffer(value)),
      firstGood: good.firstGood,
      maxMessageBytes,
    };
    const bad = await Promise.all(KAFKA_CORPUS.map(async (entry) => ({ entry, value: await entry.build(ctx) })));
    const expected = replay(good.records.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs }).signals;
    expect(expected.filter((s) => s.kind === 'CHANNEL_SWITCH')).toHaveLength(6);
    expect(expected.filter((s) => s.kind === 'REPEAT_CONTACT').length).toBeGreaterThanOrEqual(6);

    const group = `${run}-detector`;
    await groupAtLogEnd(kafka, group, DETECTOR_TOPICS);
    const port = await freePort();
    const worker = spawnCxg(['run', 'detector'], { CX_DETECTOR_GROUP: group, METRICS_PORT: String(port), LOG_LEVEL: 'warn', CX_SESSION_TIMEOUT_MS: '6000' });
    const pid = worker.child.pid;
    let exited: number | null | undefined;
    worker.child.once('exit', (code) => (exited = code));
    const sentBad = new Map<string, { entry: KafkaEntry; sent: Sent }>();
    const sentGood = new Set<string>();
    try {
      // Good records in event-time order; after each, its share of the bad ones.
      const per = Math.ceil(bad.length / (good.records.length - 1));
      let b = 0;
      for (const [i, r] of good.records.entries()) {
        const value = r.evolved ? frameOf(evolvedIds.field, evolvedTypes.field.toBuffer({ ...r.value, note: 'hello' })) : await serde.encode(r.topic, r.value);
        const sent = await sendRaw(r.topic, r.key, value);
        sentGood.add(`${sent.topic}:${sent.partition}:${sent.offset}`);
        for (let k = 0; k < per && b < bad.length && i < good.records.length - 1; k++, b++) {
          const { entry, value: bytes } = bad[b]!;
          const sent = await sendRaw(entry.topic, entry.u === null ? null : ctx.key(entry.u), bytes);
          sentBad.set(`${sent.topic}:${sent.partition}:${sent.offset}`, { entry, sent });
        }
      }
      expect(b).toBe(bad.length);
      expect(sentBad.size).toBe(KAFKA_CORPUS.length);
      const last = Math.max(...good.records.map((r) => r.value.ended_at));
      for (const m of endOfStreamMarkers(run, last + DEFAULT_DETECTION.allowedLatenessMs + 1000, readEndpoints().partitions)) {
        await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, partition: m.partition, value: await serde.encode(m.topic, m.value) }] });
      }

      const where = (m: KafkaMessage) => `${m.headers?.['cx-source-topic']?.toString()}:${m.headers?.['cx-source-partition']?.toString()}:${m.headers?.['cx-source-offset']?.toString()}`;
      const dlq = await collect(kafka, TOPICS.dlq, (m) => sentBad.has(where(m)) || sentGood.has(where(m)));
      const signals = await collect(kafka, TOPICS.signals, (m) => m.key?.toString().startsWith(`${run}-`) ?? false);
      try {
        const seen = () => new Set(dlq.messages.map(where));
        await eventually(() => (seen().size >= sentBad.size ? true : undefined), 90_000, `${sentBad.size} DLQ records`).catch((err: Error) => {
          const missing = [...sentBad].filter(([k]) => !seen().has(k)).map(([, v]) => v.entry.name);
          throw new Error(`${err.message}; missing: ${missing.join(' | ')}; worker output:\n${worker.output().slice(-3000)}`);
        });
        await eventually(() => (signals.messages.length >= expected.length ? true : undefined), 60_000, `${expected.length} signals`);
        await new Promise((r) => setTimeout(r, 2000)); // anything beyond the expected would show up now

        const rows: Array<{ input: string; topic: string; expected: string; got: string; error: string }> = [];
        for (const [k, { entry, sent }] of sentBad) {
          // Every copy: other detectors on the shared stack (other groups) may dead-letter the same record too.
          const copies = dlq.messages.filter((m) => where(m) === k);
          const reasons = [...new Set(copies.map((m) => m.headers!['cx-reason']!.toString()))];
          rows.push({ input: entry.name, topic: entry.topic, expected: entry.reason, got: reasons.join(' + '), error: copies[0]!.headers!['cx-error']!.toString().slice(0, 70) });
          // (at least our detector's copy: another detector may still run code from before this message)
          if (sent.value === null) expect(copies.some((m) => /tombstone/.test(m.headers!['cx-error']!.toString())), entry.name).toBe(true);
          for (const m of copies) {
            // the original key and bytes, unchanged (a tombstone stays a tombstone)
            expect(m.key === null ? null : m.key.toString(), entry.name).toBe(sent.key);
            if (sent.value === null) expect(m.value, entry.name).toBeNull();
            else expect(Buffer.compare(m.value!, sent.value), entry.name).toBe(0);
          }
        }
        console.log(`bad input on Kafka (${rows.length} entries, detector ${run}):`);
        console.table(rows);
        expect(rows.map((r) => [r.input, r.got])).toEqual(rows.map((r) => [r.input, r.expected]));
        // never a good record, the evolved-schema one, the 256-emoji one or the exact duplicate
        expect(dlq.messages.filter((m) => sentGood.has(where(m))).map((m) => `${m.key?.toString()} at ${where(m)}: ${m.headers!['cx-reason']!.toString()}: ${m.headers!['cx-error']!.toString()}`)).toEqual([]);

        const got = await Promise.all(signals.messages.map(async (m) => (await serde.decode(TOPICS.signals, m.value)) as JourneySignal));
        const byId = new Map(got.map((s) => [s.signal_id, s]));
        expect(byId).toEqual(new Map(expected.map((s) => [s.signal_id, s])));

        // the same process, still running, never crashed nor retried a batch
        expect(exited).toBeUndefined();
        expect(worker.child.pid).toBe(pid);
        expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
        expect(worker.output()).not.toMatch(/consumer crashed|batch failed/);
        const text = await metricsText(port);
        for (const reason of new Set(KAFKA_CORPUS.map((e) => e.reason))) {
          const want = KAFKA_CORPUS.filter((e) => e.reason === reason).length;
          const total = [...text.matchAll(new RegExp(`^cx_dlq_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
          expect(total, reason).toBeGreaterThanOrEqual(want);
        }
      } finally {
        await dlq.stop();
        await signals.stop();
      }
    } finally {
      if (exited === undefined) {
        const gone = new Promise<number | null>((r) => worker.child.once('exit', r));
        worker.child.kill('SIGTERM');
        expect(await gone).toBe(0);
      }
    }
  }, 240_000);

  it('reports the decoding reasons of replay files, which no Avro frame can carry, with their lines', async () => {
    const nowMs = await redisNowMs(redis);
    const file = join(mkdtempSync(join(tmpdir(), 'cxg-bad-')), 'bad.ndjson');
    writeFileSync(file, REPLAY_CORPUS.map((e) => e.line.replaceAll('$NOW', String(nowMs - MIN))).join('\n') + '\n');
    const cli = spawnCxg(['replay', '--events', file, '--config', readEndpoints().configFile, '--json'], {});
    const code = await new Promise((r) => cli.child.once('exit', r));
    expect(code, cli.output()).toBe(0);
    const doc = JSON.parse(cli.output()) as { rejected: Array<{ line: number; reason: string }> };
    const rows = REPLAY_CORPUS.map((e, i) => ({ input: e.name, expected: e.reason, got: doc.rejected.find((r) => r.line === i + 1)?.reason ?? '(accepted)' }));
    console.log(`bad input in a replay file (${rows.length} lines):`);
    console.table(rows);
    expect(rows.map((r) => [r.input, r.got])).toEqual(rows.map((r) => [r.input, r.expected]));
    expect(doc.rejected).toHaveLength(REPLAY_CORPUS.length);
  }, 60_000);
});
