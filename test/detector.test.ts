// The detector end to end on the real stack: simulated traffic through Kafka and the registry,
// the worker as a child process killed with SIGKILL at random moments, signals read back from
// cx.signals.v1 and compared with the engine's sorted replay (docs/detection.md, order independence).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { DEFAULT_DETECTION, TOPICS, replay, type JourneySignal } from '@cxg/engine';
import { createProducer, groupAtLogEnd, initTopics, produceRecords, readEndpoints, type OutRecord } from '@cxg/platform';
import { simulate, withIdPrefix } from '@cxg/simulator';
import { collect, eventually, kafkaFor, runId, serdeFor, spawnCxg } from './helpers.ts';
import { DETECTOR_TOPICS, endOfStreamMarkers } from '@cxg/detector';

const kafka = kafkaFor('test-detector');
const serde = serdeFor();
let producer: Producer;
const NOW = Date.now();

beforeAll(async () => {
  await initTopics(kafka, serde, readEndpoints().partitions);
  producer = await createProducer(kafka);
});
afterAll(async () => {
  await producer?.disconnect();
});

/** Contacts and web journeys of a simulated week, with ids unique to this run (and, on request, faults). */
function stream(run: string, seed: number, faults: { badRatio?: number; duplicateRatio?: number } = {}): OutRecord[] {
  const sim = simulate({ seed, customers: 250, providers: 3, days: 7, nowMs: NOW, issueRate: 0.6, ...faults });
  return [...sim].filter((r) => r.topic !== TOPICS.customers).map((r) => withIdPrefix(r, run));
}

function expectedSignals(records: OutRecord[]): JourneySignal[] {
  return replay(records.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW }).signals;
}

/** Markers L after the last event, so every reorder buffer releases without waiting for the idle timer. */
async function pushWatermarks(run: string, records: OutRecord[]): Promise<void> {
  // The greatest event time of the accepted records; bad records may carry any timestamp.
  const last = replay(records.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW }).watermarkMs!;
  for (const m of endOfStreamMarkers(run, last + DEFAULT_DETECTION.allowedLatenessMs + 1000, readEndpoints().partitions)) {
    await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, partition: m.partition, value: await serde.encode(m.topic, m.value) }] });
  }
}

async function readSignals(run: string, want: number): Promise<{ all: JourneySignal[]; byId: Map<string, JourneySignal> }> {
  const c = await collect(kafka, TOPICS.signals, (m) => m.key?.toString().startsWith(`${run}-`) ?? false);
  const decode = async () => Promise.all(c.messages.map(async (m) => ({ ...(await serde.decode(TOPICS.signals, m.value)) as JourneySignal })));
  await eventually(async () => (new Set((await decode()).map((s) => s.signal_id)).size >= want ? true : undefined), 90_000, `${want} signals`);
  await new Promise((r) => setTimeout(r, 2000)); // anything beyond the expected set would show up now
  const all = await decode();
  await c.stop();
  const byId = new Map<string, JourneySignal>();
  for (const s of all) {
    const prev = byId.get(s.signal_id);
    if (prev) expect(s, `re-emitted ${s.signal_id} differs`).toEqual(prev);
    byId.set(s.signal_id, s);
  }
  return { all, byId };
}

const asMap = (signals: JourneySignal[]) => new Map(signals.map((s) => [s.signal_id, s]));

describe('detector on Kafka', () => {
  it('killed with SIGKILL at random moments and restarted, ends with exactly the signals of an undisturbed run, bad records and duplicates included', async () => {
    const run = runId('kill');
    // Bad records and duplicates too: rejects and duplicate judgement must survive the kills as well.
    const records = stream(run, 11, { badRatio: 0.01, duplicateRatio: 0.02 });
    const expected = expectedSignals(records);
    expect(expected.length).toBeGreaterThan(20);
    const group = `${run}-detector`;
    await groupAtLogEnd(kafka, group, DETECTOR_TOPICS);
    const env = { CX_DETECTOR_GROUP: group, METRICS_PORT: '0', LOG_LEVEL: 'warn', CX_SESSION_TIMEOUT_MS: '6000' };

    // Produce in slices; each worker is killed at a random moment after it has started processing.
    const slices = 5;
    const per = Math.ceil(records.length / slices);
    let kills = 0;
    for (let i = 0; i < slices; i++) {
      const port = 19_400 + i;
      const worker = spawnCxg(['run', 'detector'], { ...env, METRICS_PORT: String(port) });
      await produceRecords(producer, serde, records.slice(i * per, (i + 1) * per), { rawOnEncodeError: true });
      await eventually(async () => {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
        return /cx_events_total\{[^}]*result="accepted"[^}]*\} [1-9]/.test(text) ? true : undefined;
      }, 60_000, `worker ${i} processing`);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 1500)));
      worker.child.kill('SIGKILL');
      await new Promise((r) => worker.child.once('exit', r));
      kills++;
    }
    await pushWatermarks(run, records);
    const final = spawnCxg(['run', 'detector'], env);
    try {
      const { byId, all } = await readSignals(run, expected.length);
      expect(kills).toBe(slices);
      expect(byId).toEqual(asMap(expected));
      expect(all.length).toBeGreaterThanOrEqual(expected.length);
    } finally {
      final.child.kill('SIGTERM');
      await new Promise((r) => final.child.once('exit', r));
    }
  }, 240_000);

  it('gives the same signals as cxg replay for a stream shuffled within the allowed lateness, with two workers sharing the partitions', async () => {
    const run = runId('shuffle');
    const ordered = stream(run, 12);
    const L = DEFAULT_DETECTION.allowedLatenessMs;
    // Arrival = event time + up to 0.9 L: no event arrives more than L behind the greatest seen.
    const shuffled = ordered
      .map((r) => ({ r, at: (r.value as { ended_at: number }).ended_at + Math.floor(Math.random() * 0.9 * L) }))
      .sort((a, b) => a.at - b.at)
      .map(({ r }) => r);
    await groupAtLogEnd(kafka, `${run}-detector`, DETECTOR_TOPICS);
    // Two workers in one group share the partitions (partition i of both topics on one member).
    const env = { CX_DETECTOR_GROUP: `${run}-detector`, METRICS_PORT: '0', LOG_LEVEL: 'warn', CX_SESSION_TIMEOUT_MS: '6000' };
    const workers = [spawnCxg(['run', 'detector'], env), spawnCxg(['run', 'detector'], env)];
    const worker = workers[0]!;
    try {
      await produceRecords(producer, serde, shuffled);
      await pushWatermarks(run, shuffled);
      // The reference is the CLI itself, reading the same events in their original order.
      const file = join(mkdtempSync(join(tmpdir(), 'cxg-')), 'events.ndjson');
      writeFileSync(file, ordered.map((r) => JSON.stringify({ topic: r.topic, value: r.value })).join('\n') + '\n');
      const cli = spawnCxg(['replay', '--events', file, '--config', readEndpoints().configFile, '--json'], {});
      const code = await new Promise((r) => cli.child.once('exit', r));
      expect(code, cli.output()).toBe(0);
      const doc = JSON.parse(cli.output()) as { signals: Array<Partial<JourneySignal>> };
      expect(doc.signals.length).toBeGreaterThan(20);
      const { byId } = await readSignals(run, doc.signals.length).catch((err: Error) => {
        throw new Error(`${err.message}; worker output:\n${worker.output().slice(-3000)}`);
      });
      const streamed = [...byId.values()].map((s) => {
        const { kind, contact_event_id, contact_id, prior_event_id, prior_id, customer_id, intent_family, contact_provider_id, prior_provider_id, gap_ms } = s;
        return { kind, contact_event_id, contact_id, prior_event_id, prior_id, customer_id, intent_family, contact_provider_id, prior_provider_id, gap_ms };
      });
      const key = (s: Partial<JourneySignal>) => s.contact_event_id!;
      expect(streamed.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(doc.signals.sort((a, b) => key(a).localeCompare(key(b))));
    } finally {
      // SIGTERM: each worker finishes its batch, commits, disconnects and exits 0 within 10 s.
      const exits = workers.map((w) => new Promise<number | null>((r) => w.child.once('exit', (code) => r(code))));
      const t0 = Date.now();
      for (const w of workers) w.child.kill('SIGTERM');
      expect(await Promise.all(exits)).toEqual([0, 0]);
      expect(Date.now() - t0).toBeLessThan(10_000);
    }
  }, 180_000);
});
