// Load and rebalance: two detector and two kpi members per consumer group (child processes, `cxg
// run <worker>`) under sustained simulated traffic at a steady rate, while members join, leave
// cleanly (SIGTERM) and die (SIGKILL) mid-run. The consumer lag of both groups is sampled every
// second (committed offsets against the log end); after each membership change it must come back
// below a small bound within RECOVERY_BOUND_S. At the end the signals (by signal_id) and the KPI
// counters of the run's providers must equal `replay` on exactly the records sent: nothing lost,
// nothing counted twice. The workers have a Redis of their own; their groups start at the log end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Producer } from 'kafkajs';
import { DEFAULT_DETECTION, TOPICS, kpiSettingsOf, replay } from '@cxg/engine';
import { createProducer, groupAtLogEnd, initTopics, loadContractsConfig, produceRecords, readEndpoints, type OutRecord } from '@cxg/platform';
import { simulate } from '@cxg/simulator';
import { DETECTOR_TOPICS, endOfStreamMarkers } from '@cxg/detector';
import { bucketsInRedis, expectedBuckets } from '../services/kpi/test/support.ts';
import { collect, eventually, freePort, kafkaFor, metric, runId, serdeFor } from './helpers.ts';
import { PrivateRedis } from './redis-server.ts';
import { bucketDiff, kpiEventsOf, ownBuckets, sameBuckets, scopedRecord, signalsById } from './run-scope.ts';
import { Supervised } from './supervised.ts';

const kafka = kafkaFor('test-rebalance');
const serde = serdeFor();
const NOW = Date.now();
const DAY_MS = 86_400_000;
/** README "Measured here": the detector, one worker, through Kafka, registry and Redis (lower end of 8 280–9 760 records/s). */
const BENCH_PER_WORKER = 8_280;
/**
 * Offered records per second (contacts + journeys). 2 × BENCH_PER_WORKER is not sustainable on 2
 * cores with both workers, the broker and this producer on them (measured at 2 × 7 777: 2 212/s
 * sent, the detector group committed 1 234/s); 2 000/s was, with room (the group committed
 * 2 300–3 300/s while catching up). CX_REBALANCE_RATE=16560 runs the 2× load.
 */
const RATE = Number(process.env.CX_REBALANCE_RATE ?? 2000);
/** How soon a SIGKILLed member's partitions move (CX_SESSION_TIMEOUT_MS of every member). */
const SESSION_TIMEOUT_MS = 10_000;
/** "Recovered": the group is stable with the members expected and its lag at most this, 3 samples in a row. */
const LAG_BOUND = Math.max(2000, Math.round(2 * RATE));
/** Asserted after every membership change (measured here: see the README's "Load and rebalance"). */
const RECOVERY_BOUND_S = Number(process.env.CX_REBALANCE_RECOVERY_S ?? 60);
/** Longest wait for one recovery before the schedule moves on (the assertion then fails). */
const GIVE_UP_MS = 90_000;

let producer: Producer;
let admin: Admin;
let redis: PrivateRedis;

beforeAll(async () => {
  await initTopics(kafka, serde, readEndpoints().partitions);
  producer = await createProducer(kafka);
  admin = kafka.admin();
  await admin.connect();
  redis = await PrivateRedis.start();
});
afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await redis?.kill();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Group {
  label: 'detector' | 'kpi';
  id: string;
  topics: readonly string[];
}
interface Sample {
  at: number;
  lag: Record<Group['label'], number>;
  committed: Record<Group['label'], number>;
  members: Record<Group['label'], number>;
  state: Record<Group['label'], string>;
}

/** Every second: each group's lag (Σ over its topics' partitions of log end − committed offset), members and state. */
function lagSampler(groups: readonly Group[]) {
  const samples: Sample[] = [];
  const errors: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = Date.now();
      try {
        const topics = [...new Set(groups.flatMap((g) => g.topics))];
        const ends = new Map<string, Map<number, bigint>>();
        for (const topic of topics) ends.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)])));
        const described = new Map((await admin.describeGroups(groups.map((g) => g.id))).groups.map((g) => [g.groupId, g]));
        const s: Sample = { at: t, lag: { detector: 0, kpi: 0 }, committed: { detector: 0, kpi: 0 }, members: { detector: 0, kpi: 0 }, state: { detector: '', kpi: '' } };
        for (const g of groups) {
          let lag = 0n;
          let committed = 0n;
          for (const { topic, partitions } of await admin.fetchOffsets({ groupId: g.id, topics: [...g.topics] })) {
            for (const p of partitions) {
              const high = ends.get(topic)!.get(p.partition) ?? 0n;
              const at = BigInt(p.offset) < 0n ? 0n : BigInt(p.offset);
              lag += high > at ? high - at : 0n;
              committed += at;
            }
          }
          s.lag[g.label] = Number(lag);
          s.committed[g.label] = Number(committed);
          s.members[g.label] = described.get(g.id)?.members.length ?? 0;
          s.state[g.label] = described.get(g.id)?.state ?? '?';
        }
        samples.push(s);
      } catch (err) {
        errors.push(`${new Date(t).toISOString()} ${(err as Error).message}`);
      }
      await sleep(Math.max(0, 1000 - (Date.now() - t)));
    }
  })();
  return { samples, errors, stop: async () => ((running = false), await loop) };
}

/** Sends the simulated stream at `rate` records/s (what is due every 50 ms, at most 2 000 per send) until stopped. */
function steadyTraffic(source: Iterator<OutRecord>, rate: number) {
  const sent: OutRecord[] = [];
  let running = true;
  let exhausted = false;
  const started = Date.now();
  let stoppedAt = 0;
  let failure: Error | null = null;
  const loop = (async () => {
    while (running) {
      const due = Math.floor((rate * (Date.now() - started)) / 1000) - sent.length;
      if (due <= 0) {
        await sleep(50);
        continue;
      }
      const batch: OutRecord[] = [];
      while (batch.length < Math.min(due, 2000)) {
        const next = source.next();
        if (next.done) break;
        batch.push(next.value);
      }
      if (batch.length === 0) {
        exhausted = true;
        break;
      }
      await produceRecords(producer, serde, batch, { rawOnEncodeError: true });
      sent.push(...batch);
    }
  })()
    .catch((err: Error) => (failure = err))
    .finally(() => (stoppedAt = Date.now()));
  return {
    sent,
    get exhausted() {
      return exhausted;
    },
    /** Records per second sent since the start. */
    rate: () => sent.length / ((Date.now() - started) / 1000),
    stop: async () => {
      running = false;
      await loop;
      if (failure) throw new Error(`the traffic stopped after ${sent.length} records: ${failure.message}`, { cause: failure });
      return { records: sent.length, seconds: (stoppedAt - started) / 1000 };
    },
  };
}

describe('load and rebalance', () => {
  it('two members per group under steady traffic: a member joins, one is SIGTERMed, one SIGKILLed and restarted; lag recovers, nothing lost or counted twice', async () => {
    const run = runId('rebal');
    const days = 5;
    // More than the schedule can send at RATE: the stream is cut where the traffic stops.
    // ~1.1 contacts and journeys per customer and day: enough for the longest schedule (every wait given up).
    const longestS = 20 + 4 * (GIVE_UP_MS / 1000 + 15);
    const sim = simulate({ seed: 4242, customers: Math.min(400_000, Math.max(20_000, Math.ceil((RATE * longestS) / (days * 1.1)))), providers: 3, days, startMs: Math.floor((NOW - days * DAY_MS) / 60_000) * 60_000, nowMs: NOW, issueRate: 0.7, duplicateRatio: 0.02, badRatio: 0.002 });
    const source = (function* () {
      for (const r of sim) if (r.topic !== TOPICS.customers) yield scopedRecord(r, run);
    })();

    const groups: Group[] = [
      { label: 'detector', id: `${run}-detector`, topics: DETECTOR_TOPICS },
      { label: 'kpi', id: `${run}-kpi`, topics: [TOPICS.contacts, TOPICS.web, TOPICS.signals] },
    ];
    for (const g of groups) await groupAtLogEnd(kafka, g.id, g.topics);
    const env = { REDIS_URL: redis.url, LOG_LEVEL: 'warn', CX_DETECTOR_GROUP: groups[0]!.id, CX_KPI_GROUP: groups[1]!.id, CX_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS) };
    const member = async (name: 'detector' | 'kpi') => new Supervised(name, await freePort(), env);
    const detectors = [await member('detector'), await member('detector')];
    const kpis = [await member('kpi'), await member('kpi')];
    const all = () => [...detectors, ...kpis];
    const ready = (ws: Supervised[]) => eventually(async () => ((await Promise.all(ws.map((w) => w.readyz()))).every((r) => r.status === 200) ? true : undefined), 120_000, 'members ready');
    const signals = await collect(kafka, TOPICS.signals, (m) => m.key?.toString().startsWith(`${run}-`) ?? false);
    const sampler = lagSampler(groups);
    const rows: Array<{ event: string; group: string; 'lag before': number; 'max lag': number; 'recovery s': number | string }> = [];
    const recoveries: Array<{ event: string; group: string; seconds: number | null }> = [];

    /** Lag just before `t`: the median of the last 5 samples. */
    const lagBefore = (label: Group['label'], t: number) => {
      const xs = sampler.samples.filter((s) => s.at < t).slice(-5).map((s) => s.lag[label]).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)] ?? 0;
    };
    /** Applies a membership change, then waits until both groups have recovered (or GIVE_UP_MS passed). */
    const change = async (event: string, expected: Record<Group['label'], number>, apply: () => Promise<void>) => {
      const t = Date.now();
      const before = { detector: lagBefore('detector', t), kpi: lagBefore('kpi', t) };
      await apply();
      const recoveredAt: Partial<Record<Group['label'], number>> = {};
      const deadline = t + GIVE_UP_MS;
      while (Date.now() < deadline && Object.keys(recoveredAt).length < groups.length) {
        await sleep(1000);
        for (const g of groups) {
          if (recoveredAt[g.label]) continue;
          const last3 = sampler.samples.filter((s) => s.at > t).slice(-3);
          if (last3.length === 3 && last3.every((s) => s.state[g.label] === 'Stable' && s.members[g.label] === expected[g.label] && s.lag[g.label] <= LAG_BOUND)) recoveredAt[g.label] = last3[0]!.at;
        }
      }
      for (const g of groups) {
        const end = recoveredAt[g.label] ?? Date.now();
        const during = sampler.samples.filter((s) => s.at >= t && s.at <= end).map((s) => s.lag[g.label]);
        const seconds = recoveredAt[g.label] === undefined ? null : (recoveredAt[g.label]! - t) / 1000;
        rows.push({ event, group: g.label, 'lag before': before[g.label], 'max lag': Math.max(before[g.label], ...during), 'recovery s': seconds === null ? `> ${GIVE_UP_MS / 1000}` : Number(seconds.toFixed(1)) });
        recoveries.push({ event, group: g.label, seconds });
      }
      process.stderr.write(`[rebalance] ${event}: ${rows.slice(-groups.length).map((r) => `${r.group} lag ${r['lag before']} → max ${r['max lag']}, recovered after ${r['recovery s']} s`).join('; ')}; sent ${Math.round(traffic?.rate() ?? 0)} records/s so far\n`);
      await sleep(10_000); // steady traffic again before the next change
    };

    let traffic: ReturnType<typeof steadyTraffic> | null = null;
    try {
      await ready(all());
      traffic = steadyTraffic(source, RATE);
      const trafficFrom = Date.now();
      await sleep(20_000);
      const steadyUntil = Date.now();
      const warm = sampler.samples.filter((s) => s.at >= trafficFrom + 5000);
      const committedRate = (label: Group['label']) => (warm.length < 2 ? 0 : Math.round((warm.at(-1)!.committed[label] - warm[0]!.committed[label]) / ((warm.at(-1)!.at - warm[0]!.at) / 1000)));
      process.stderr.write(`[rebalance] steady, 2 members each: sent ${Math.round(traffic.rate())} records/s (offered ${RATE}); committed/s detector ${committedRate('detector')}, kpi ${committedRate('kpi')}; lag now detector ${warm.at(-1)?.lag.detector}, kpi ${warm.at(-1)?.lag.kpi}; ${sampler.samples.length} lag samples, ${sampler.errors.length} failed ${sampler.errors.at(-1) ?? ''}\n`);
      // 2 members each → a third joins → member 1 leaves cleanly → member 2 dies (its partitions
      // wait for its session to time out) → member 2 is started again: 2 members each at the end.
      // Each change counts from the signal or the spawn: a new process's start-up is part of it.
      await change('start a third member', { detector: 3, kpi: 3 }, async () => {
        detectors.push(await member('detector'));
        kpis.push(await member('kpi'));
        await ready([detectors[2]!, kpis[2]!]);
      });
      const sigtermExit: Array<number | null> = [];
      await change('SIGTERM member 1', { detector: 2, kpi: 2 }, async () => {
        sigtermExit.push(...(await Promise.all([detectors[0]!.stop(), kpis[0]!.stop()])));
      });
      await change('SIGKILL member 2', { detector: 1, kpi: 1 }, async () => {
        await Promise.all([detectors[1]!.kill({ restart: false }), kpis[1]!.kill({ restart: false })]);
      });
      await change('restart member 2', { detector: 2, kpi: 2 }, async () => {
        detectors[1]!.start();
        kpis[1]!.start();
        await ready([detectors[1]!, kpis[1]!]);
      });
      const sentStats = await traffic.stop();
      const trafficUntil = Date.now();

      // The reference: replay of exactly what was sent, then the markers.
      const records = traffic.sent;
      const watermark = replay(records.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW }).watermarkMs!;
      const markers = endOfStreamMarkers(run, watermark + DEFAULT_DETECTION.allowedLatenessMs + 1000, readEndpoints().partitions);
      for (const m of markers) {
        await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, partition: m.partition, value: await serde.encode(m.topic, m.value) }] });
      }
      const reference = replay([...records, ...markers].map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW });
      const expectedSignals = new Map(reference.signals.map((s) => [s.signal_id, s]));
      const wantBuckets = ownBuckets(expectedBuckets(kpiEventsOf(reference), kpiSettingsOf(loadContractsConfig(readEndpoints().configFile))), run);
      expect(expectedSignals.size).toBeGreaterThan(100);

      const reader = redis.client();
      try {
        await eventually(
          async () => ((await signalsById(serde, signals.messages)).byId.size >= expectedSignals.size && sameBuckets(ownBuckets(await bucketsInRedis(reader, 'cx:kpi:'), run), wantBuckets) ? true : undefined),
          180_000,
          'every signal and KPI count',
        ).catch(() => undefined); // the comparisons below say what differs
        await sleep(3000); // anything beyond the expected would show up now
        const { byId: got, reEmittedDiffering } = await signalsById(serde, signals.messages);
        const buckets = ownBuckets(await bucketsInRedis(reader, 'cx:kpi:'), run);
        const missing = [...expectedSignals.keys()].filter((id) => !got.has(id)).length;
        const extra = [...got.keys()].filter((id) => !expectedSignals.has(id)).length;
        const { under, over } = bucketDiff(wantBuckets, buckets);
        await sampler.stop();
        // What differs, when something does: signal fields, and the KPI fields counted wrong.
        const fieldDiffs = new Map<string, number>();
        let example = '';
        for (const [id, want] of expectedSignals) {
          const g = got.get(id);
          if (!g) continue;
          for (const f of Object.keys(want) as Array<keyof typeof want>) {
            if (JSON.stringify(want[f]) === JSON.stringify(g[f])) continue;
            fieldDiffs.set(f, (fieldDiffs.get(f) ?? 0) + 1);
            example ||= `${id}: want ${JSON.stringify(want)}, got ${JSON.stringify(g)}`;
          }
        }
        const byField = new Map<string, number>();
        for (const b of new Set([...wantBuckets.keys(), ...buckets.keys()])) {
          for (const f of new Set([...Object.keys(wantBuckets.get(b) ?? {}), ...Object.keys(buckets.get(b) ?? {})])) {
            const d = (buckets.get(b)?.[f] ?? 0) - (wantBuckets.get(b)?.[f] ?? 0);
            if (d !== 0) byField.set(`${b.slice(0, 1)}:${f.slice(run.length + 1)}`, (byField.get(`${b.slice(0, 1)}:${f.slice(run.length + 1)}`) ?? 0) + d);
          }
        }
        const rebuilds = await Promise.all(all().map((w) => metric(w.port, 'cx_state_rebuilds_total')));
        if (fieldDiffs.size > 0 || byField.size > 0) {
          console.log(`signal fields that differ from replay: ${JSON.stringify(Object.fromEntries(fieldDiffs))}; e.g. ${example}`);
          console.log(`KPI fields off (got − want, summed over buckets): ${JSON.stringify(Object.fromEntries([...byField].sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, 20)))}`);
          console.log(`cx_state_rebuilds_total per member (${all().map((w) => `${w.name}:${w.port}`).join(' ')}): ${rebuilds.join(' ')}`);
        }

        // Throughput while the traffic ran: records sent, and offsets committed by each group.
        const during = sampler.samples.filter((s) => s.at >= trafficFrom && s.at <= trafficUntil);
        const steady = sampler.samples.filter((s) => s.at >= trafficFrom + 5000 && s.at <= steadyUntil);
        const rate = (xs: Sample[], label: Group['label']) => (xs.length < 2 ? 0 : (xs.at(-1)!.committed[label] - xs[0]!.committed[label]) / ((xs.at(-1)!.at - xs[0]!.at) / 1000));
        console.table(rows);
        console.log(
          `load and rebalance: offered ${RATE} records/s (${(RATE / BENCH_PER_WORKER).toFixed(2)} × ${BENCH_PER_WORKER}, the README's per-worker bench figure); sent ${sentStats.records} records in ${sentStats.seconds.toFixed(1)} s = ${Math.round(sentStats.records / sentStats.seconds)} records/s; ` +
            `committed by the detector group ${Math.round(rate(during, 'detector'))}/s (steady, 2 members: ${Math.round(rate(steady, 'detector'))}/s), by the kpi group ${Math.round(rate(during, 'kpi'))}/s over its three topics ` +
            `(steady: ${Math.round(rate(steady, 'kpi'))}/s); lag bound ${LAG_BOUND}, session timeout ${SESSION_TIMEOUT_MS / 1000} s; max lag detector ${Math.max(...during.map((s) => s.lag.detector))}, kpi ${Math.max(...during.map((s) => s.lag.kpi))}; ` +
            `${expectedSignals.size} signals expected, ${got.size} got (${missing} missing, ${extra} extra, ${reEmittedDiffering.length} re-emitted differently); KPI counters under by ${under}, over by ${over}; sampler errors: ${sampler.errors.length}`,
        );
        expect(missing).toBe(0);
        expect(extra).toBe(0);
        expect(reEmittedDiffering).toEqual([]);
        // Plain objects: the decoded ones are avsc JourneySignal instances, which a Map's toEqual tells apart.
        expect(new Map([...got].map(([id, sig]) => [id, { ...sig }]))).toEqual(expectedSignals);
        expect(buckets).toEqual(wantBuckets);
        expect(sigtermExit, 'SIGTERMed members exit 0').toEqual([0, 0]);
        for (const r of recoveries) expect(r.seconds, `${r.group} after "${r.event}" back below ${LAG_BOUND} within ${RECOVERY_BOUND_S} s`).not.toBeNull();
        for (const r of recoveries) expect(r.seconds!, `${r.group} after "${r.event}"`).toBeLessThanOrEqual(RECOVERY_BOUND_S);
        // The traffic was the rate asked for, not whatever the producer managed, to the end.
        expect(traffic.exhausted, 'the simulation ran out of records before the schedule ended').toBe(false);
        expect(sentStats.records / sentStats.seconds).toBeGreaterThanOrEqual(0.9 * RATE);
        const alive = all().filter((w) => w.alive);
        expect(alive.length).toBe(4);
        for (const w of alive) expect(await w.stop(), `${w.name} stops cleanly on SIGTERM`).toBe(0);
      } finally {
        reader.disconnect();
      }
    } catch (err) {
      console.table(rows);
      throw new Error(`${(err as Error).message}\n${all().map((w) => `--- ${w.name} :${w.port}\n${w.output().slice(-3000)}`).join('\n')}`, { cause: err });
    } finally {
      await traffic?.stop();
      await sampler.stop();
      await signals.stop();
      for (const w of all()) await w.stop();
    }
  }, 600_000);
});
