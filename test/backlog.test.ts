// A busy worker is not an idle partition: the detector catching up on a backlog of over 200 000
// records, read from the start, with its own process stalled (SIGSTOP) and separately its Redis paused
// (SIGSTOP) for far longer than the idle grace mid-stream, and every contact produced before any web
// journey, so one topic of the co-partitioned pair sits far ahead of the other in the log. Each time
// the signals must equal `cxg replay` on the same records and no event may be counted late.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { DEFAULT_DETECTION, TOPICS, replay, type JourneySignal } from '@cxg/engine';
import { createProducer, groupAtLogEnd, initTopics, produceRecords, readEndpoints, type OutRecord } from '@cxg/platform';
import { simulate, withIdPrefix } from '@cxg/simulator';
import { DETECTOR_TOPICS, endOfStreamMarkers } from '@cxg/detector';
import { collect, eventually, freePort, kafkaFor, metric, runId, serdeFor, spawnCxg } from './helpers.ts';
import { PrivateRedis } from './redis-server.ts';

const kafka = kafkaFor('test-backlog');
const serde = serdeFor();
const NOW = Date.now();
let producer: Producer;
let redis: PrivateRedis;

beforeAll(async () => {
  await initTopics(kafka, serde, readEndpoints().partitions);
  producer = await createProducer(kafka);
  // A Redis of its own, so pausing it disturbs no other test.
  redis = await PrivateRedis.start();
});
afterAll(async () => {
  await producer?.disconnect();
  await redis?.kill();
});

/**
 * One customer's contact A, then a 23-hour PHONE contact B during which 300 chats of the same family
 * end (far more than the 64 entries an earlier per-group cap kept), then a journey flood too.
 */
function flood(run: string, t0: number): OutRecord[] {
  const customer = `${run}-flood`;
  const contact = (id: string, channel: 'PHONE' | 'CHAT', start: number, end: number): OutRecord => ({
    topic: TOPICS.contacts, key: customer,
    value: {
      event_id: `${customer}-${id}`, contact_id: `${customer}-${id}`, customer_id: customer, provider_id: 'prov-a', agent_id: null, channel, queue: 'q',
      intent: 'billing.question', started_at: start, answered_at: start, ended_at: end, outcome: 'RESOLVED', csat: null, sale_cents: 0,
    },
  });
  const bStart = t0 + 2 * 3_600_000;
  const chats = Array.from({ length: 300 }, (_, i) => contact(`x${i}`, 'CHAT', bStart + 1000 + i * 60_000, bStart + 1000 + i * 60_000 + 30_000));
  const journeys = Array.from({ length: 200 }, (_, i): OutRecord => ({
    topic: TOPICS.web, key: customer,
    value: {
      event_id: `${customer}-w${i}`, session_id: `${customer}-s${i}`, customer_id: customer, journey: 'billing.pay', started_at: bStart + i * 60_000,
      ended_at: bStart + i * 60_000 + 10_000, outcome: 'FAILED', last_step: 'x', error_code: null,
    },
  }));
  // Produced in event-time order (B ends last), as a source would: no record arrives more than L late.
  const end = (r: OutRecord) => (r.value as { ended_at: number }).ended_at;
  return [contact('A', 'PHONE', t0, t0 + 60_000), contact('B', 'PHONE', bStart, bStart + 23 * 3_600_000), ...chats, ...journeys].sort((a, b) => end(a) - end(b));
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('detector catching up on a backlog', () => {
  it('a 200 000-record backlog, a stalled worker and a paused Redis change no signal and make nothing late', async () => {
    const run = runId('backlog');
    const sim = simulate({ seed: 8, customers: 26_000, providers: 3, days: 7, nowMs: NOW, issueRate: 0.6 });
    const all = [...sim].filter((r) => r.topic !== TOPICS.customers).map((r) => withIdPrefix(r, run)) as OutRecord[];
    // The flood follows the simulated days (never placed relative to this clock), so it is in order.
    const last = all.reduce((m, r) => Math.max(m, (r.value as { ended_at: number }).ended_at), -Infinity);
    all.push(...flood(run, last + 3_600_000));
    // Every contact first, then every journey: contacts sit far ahead of web in the log.
    const records = [...all.filter((r) => r.topic === TOPICS.contacts), ...all.filter((r) => r.topic === TOPICS.web)];
    expect(records.length).toBeGreaterThanOrEqual(200_000);
    const reference = replay(records.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW });
    const expected = new Map(reference.signals.map((s) => [s.signal_id, s]));
    expect(reference.signals.filter((s) => s.kind === 'CHANNEL_SWITCH').length).toBeGreaterThan(1000);
    // The flood customer's 23-hour contact repeats the contact before it, however many chats ended meanwhile.
    expect(expected.get(`sig:${run}-flood-B`)?.prior_event_id).toBe(`${run}-flood-A`);
    expect(reference.timelineTruncated).toBe(0);

    const group = `${run}-detector`;
    await groupAtLogEnd(kafka, group, DETECTOR_TOPICS);
    for (let i = 0; i < records.length; i += 5000) await produceRecords(producer, serde, records.slice(i, i + 5000));
    for (const m of endOfStreamMarkers(run, reference.watermarkMs! + DEFAULT_DETECTION.allowedLatenessMs + 1000, readEndpoints().partitions)) {
      await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, partition: m.partition, value: await serde.encode(m.topic, m.value) }] });
    }

    const port = await freePort();
    // A grace of 1 s: the old rule ("no arrival for the grace") would have released past a topic in
    // every stall below; the log-end rule must not.
    const worker = spawnCxg(['run', 'detector'], {
      CX_DETECTOR_GROUP: group, METRICS_PORT: String(port), LOG_LEVEL: 'warn', CX_IDLE_GRACE_MS: '1000', REDIS_URL: redis.url,
    });
    const collected = await collect(kafka, TOPICS.signals, (m) => m.key?.toString().startsWith(`${run}-`) ?? false);
    try {
      const accepted = () => metric(port, 'cx_events_total', 'result="accepted"');
      const total = reference.accepted.length;
      // 1. the worker process stalls for 8 s (eight times the grace) a third of the way in
      await eventually(async () => ((await accepted()) > total / 3 ? true : undefined), 120_000, 'a third of the backlog');
      worker.child.kill('SIGSTOP');
      await pause(8000);
      worker.child.kill('SIGCONT');
      // 2. its Redis stalls for 8 s two thirds of the way in: the batch blocks, nothing is lost
      await eventually(async () => ((await accepted()) > (2 * total) / 3 ? true : undefined), 120_000, 'two thirds of the backlog');
      redis.pause();
      await pause(8000);
      redis.resume();

      const decode = async () => Promise.all(collected.messages.map(async (m) => (await serde.decode(TOPICS.signals, m.value)) as JourneySignal));
      await eventually(async () => (new Set((await decode()).map((s) => s.signal_id)).size >= expected.size ? true : undefined), 240_000, `${expected.size} signals`).catch(
        (err: Error) => {
          throw new Error(`${err.message}; worker output:\n${worker.output().slice(-3000)}`);
        },
      );
      await pause(2000); // anything beyond the expected set would show up now
      const got = new Map<string, JourneySignal>();
      for (const s of await decode()) got.set(s.signal_id, s);
      expect(got.size).toBe(expected.size);
      expect(got).toEqual(expected);
      expect(await metric(port, 'cx_late_events_total')).toBe(0);
      expect(await accepted()).toBeGreaterThanOrEqual(total);
    } finally {
      await collected.stop();
      worker.child.kill('SIGCONT');
      worker.child.kill('SIGTERM');
      await new Promise((r) => worker.child.once('exit', r));
    }
  }, 600_000);
});
