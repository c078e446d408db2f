// Pseudonymised customer ids end to end (docs/security.md, "Customer ids are pseudonymised"): a
// detector with CX_PSEUDONYM_KEY, on simulated records of this run through the real Kafka and
// registry and a Redis of the test's own, lets no raw customer id of the run reach a signal, a
// Redis key or value, or its log (at trace level); its signals are those of `cxg replay` with the
// same key, and keep the signal ids of a run without it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import { DEFAULT_DETECTION, TOPICS, replay, type JourneySignal } from '@cxg/engine';
import { createProducer, createPseudonymizer, groupAtLogEnd, initTopics, isPseudonym, produceRecords, readEndpoints, type OutRecord } from '@cxg/platform';
import { simulate, withIdPrefix } from '@cxg/simulator';
import { DETECTOR_TOPICS, endOfStreamMarkers } from '@cxg/detector';
import { collect, eventually, freePort, kafkaFor, runId, serdeFor, spawnCxg } from './helpers.ts';
import { PrivateRedis } from './redis-server.ts';

const kafka = kafkaFor('test-pseudonym');
const serde = serdeFor();
const NOW = Date.now();
const KEY = `p3:${'integration-pseudonym-key-'.padEnd(44, 'z')}`;
const pseudonymizer = createPseudonymizer(KEY)!;
let producer: Producer;
let redis: PrivateRedis;

beforeAll(async () => {
  await initTopics(kafka, serde, readEndpoints().partitions);
  producer = await createProducer(kafka);
  redis = await PrivateRedis.start();
});
afterAll(async () => {
  await producer?.disconnect();
  await redis?.kill();
});

/** Every key of the Redis with its content as text (strings, hashes, sets, sorted sets, lists). */
async function redisDump(r: Redis): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await r.type(key);
      const content =
        type === 'string' ? [await r.get(key)]
        : type === 'hash' ? Object.entries(await r.hgetall(key)).flat()
        : type === 'set' ? await r.smembers(key)
        : type === 'zset' ? await r.zrange(key, 0, -1, 'WITHSCORES')
        : type === 'list' ? await r.lrange(key, 0, -1)
        : [`(${type})`];
      out.push(key, ...content.map(String));
    }
  } while (cursor !== '0');
  return out;
}

describe('pseudonymised customer ids on Kafka', () => {
  it('a detector with CX_PSEUDONYM_KEY: no raw customer id in signals, Redis or its log; signals equal cxg replay with the key', async () => {
    const run = runId('pseudo');
    const sim = simulate({ seed: 21, customers: 120, providers: 3, days: 3, nowMs: NOW, issueRate: 0.6, badRatio: 0.01, duplicateRatio: 0.01 });
    const records: OutRecord[] = [...sim].filter((r) => r.topic !== TOPICS.customers).map((r) => withIdPrefix(r, run));
    const rawIds = new Set(records.map((r) => (r.value as { customer_id?: unknown }).customer_id).filter((c): c is string => typeof c === 'string' && c.startsWith(`${run}-cust-`)));
    expect(rawIds.size).toBeGreaterThan(100);
    // every raw id of the run has this form and nothing else of the run does: one pattern finds any of them
    const raw = new RegExp(`${run}-cust-`);

    const group = `${run}-detector`;
    await groupAtLogEnd(kafka, group, DETECTOR_TOPICS);
    const port = await freePort();
    const worker = spawnCxg(['run', 'detector'], {
      CX_DETECTOR_GROUP: group, METRICS_PORT: String(port), LOG_LEVEL: 'trace', CX_SESSION_TIMEOUT_MS: '6000', REDIS_URL: redis.url, CX_PSEUDONYM_KEY: KEY,
    });
    // Other suites' detectors (no key) may read this run's records from the shared topics too and
    // send raw-keyed signals of them: this detector's are those keyed by a pseudonym of its key (p3_).
    const signals = await collect(kafka, TOPICS.signals, (m) => (m.key?.toString().startsWith('p3_') ?? false) && (m.value?.includes(`${run}-`) ?? false));
    try {
      await produceRecords(producer, serde, records, { rawOnEncodeError: true });
      const last = replay(records.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW }).watermarkMs!;
      for (const m of endOfStreamMarkers(run, last + DEFAULT_DETECTION.allowedLatenessMs + 1000, readEndpoints().partitions)) {
        await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, partition: m.partition, value: await serde.encode(m.topic, m.value) }] });
      }

      // The reference: cxg replay of the same records with the same key, and without it.
      const file = join(mkdtempSync(join(tmpdir(), 'cxg-pseudo-')), 'events.ndjson');
      writeFileSync(file, records.map((r) => JSON.stringify({ topic: r.topic, value: r.value })).join('\n') + '\n');
      const cxgReplay = async (env: Record<string, string>) => {
        const cli = spawnCxg(['replay', '--events', file, '--config', readEndpoints().configFile, '--json'], env);
        const code = await new Promise((r) => cli.child.once('exit', r));
        expect(code, cli.output()).toBe(0);
        return (JSON.parse(cli.output()) as { signals: Array<Partial<JourneySignal>> }).signals;
      };
      const keyed = await cxgReplay({ CX_PSEUDONYM_KEY: KEY });
      const plain = await cxgReplay({ CX_PSEUDONYM_KEY: '' });
      expect(keyed.length).toBeGreaterThan(20);
      const byEvent = (s: Partial<JourneySignal>) => s.contact_event_id!;
      expect(keyed.map(byEvent)).toEqual(plain.map(byEvent)); // signal ids (sig: + contact event id) unchanged
      expect(keyed).toEqual(plain.map((s) => ({ ...s, customer_id: pseudonymizer.pseudonym(s.customer_id!) })));

      const decode = async () => Promise.all(signals.messages.map(async (m) => ({ key: m.key?.toString() ?? null, s: { ...((await serde.decode(TOPICS.signals, m.value)) as JourneySignal) } })));
      await eventually(async () => (new Set((await decode()).map(({ s }) => s.signal_id)).size >= keyed.length ? true : undefined), 90_000, `${keyed.length} signals`).catch(async (err: Error) => {
        const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
        const mine = await decode();
        const got = new Set(mine.map(({ s }) => s.signal_id));
        const missing = keyed.filter((s) => !got.has(`sig:${s.contact_event_id}`)).slice(0, 5);
        console.error(`missing (first 5 of ${keyed.length - got.size}): ${JSON.stringify(missing)}`);
        throw new Error(`${err.message} (${got.size} of this detector); metrics:\n${metrics.split('\n').filter((l) => /^cx_(events|signals|late|dlq)/.test(l)).join('\n')}\nworker output:\n${worker.output().slice(-3000)}`);
      });
      await new Promise((r) => setTimeout(r, 2000)); // anything beyond the expected set would show up now
      const streamed = await decode();

      // Signals: pseudonyms in the value and the record key, the replay's signals exactly.
      for (const { key, s } of streamed) {
        expect(isPseudonym(s.customer_id), s.customer_id).toBe(true);
        expect(s.customer_id).toMatch(/^p3_/);
        expect(key).toBe(s.customer_id);
        expect(s.signal_id).toBe(`sig:${s.contact_event_id}`);
      }
      const byId = new Map(streamed.map(({ s }) => [s.signal_id, s]));
      const fields = (s: Partial<JourneySignal>) => {
        const { kind, contact_event_id, contact_id, prior_event_id, prior_id, customer_id, intent_family, contact_provider_id, prior_provider_id, gap_ms } = s;
        return { kind, contact_event_id, contact_id, prior_event_id, prior_id, customer_id, intent_family, contact_provider_id, prior_provider_id, gap_ms };
      };
      expect([...byId.values()].map(fields).sort((a, b) => byEvent(a).localeCompare(byEvent(b)))).toEqual([...keyed].sort((a, b) => byEvent(a).localeCompare(byEvent(b))));
      expect(streamed.filter(({ key, s }) => raw.test(key ?? '') || raw.test(JSON.stringify(s)))).toEqual([]);

      // Redis: the detector's keys of the run (one state string per customer: duplicate markers and timeline) and their contents.
      const client = redis.client();
      try {
        const dump = await redisDump(client);
        expect(dump.some((t) => t.includes(`${run}-`)), 'the run reached the private Redis').toBe(true);
        // the states are keyed by pseudonym: cx:tl:{p3_…}:v3
        const timelines = dump.filter((t) => /^cx:tl:\{p3_[A-Za-z0-9_-]{22}\}:v3$/.test(t));
        expect(timelines.length).toBeGreaterThan(0);
        expect(timelines).toContain(`cx:tl:{${keyed[0]!.customer_id!}}:v3`);
        expect(dump.filter((t) => raw.test(t))).toEqual([]);
      } finally {
        client.disconnect();
      }
    } finally {
      await signals.stop();
      const exit = new Promise((r) => worker.child.once('exit', r));
      worker.child.kill('SIGTERM');
      await exit;
    }
    // The log, at trace level, from start to stop.
    const log = worker.output();
    expect(log.length).toBeGreaterThan(0);
    expect(log.match(new RegExp(`${run}-cust-[0-9]+`, 'g')) ?? []).toEqual([]);
    expect(log).not.toContain(KEY.slice(3));
  }, 240_000);
});
