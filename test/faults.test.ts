// The fault suite: one simulated stream through all three workers (child processes run as
// `cxg run <worker>`, restarted at once when killed, as a supervisor would), while a seeded random
// schedule injects what production does to a pipeline: SIGKILLs of any worker, FLUSHALL of their
// Redis, a Redis restart without persistence, Redis unreachable for 20 s, and a restart of the
// Kafka broker and the schema registry. At the end the signals (by signal_id), the KPI counters of
// the run's providers and the accrual ledger of its contracts must equal `cxg replay` on the same
// records, exactly: nothing lost, nothing counted twice. The workers have a Redis and an embedded
// ClickHouse directory of their own; their groups start at the log end.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { DEFAULT_DETECTION, TOPICS, eventTimeOf, kpiSettingsOf, replay } from '@cxg/engine';
import { createProducer, groupAtLogEnd, initTopics, loadContractsConfig, produceRecords, readEndpoints } from '@cxg/platform';
import { simulate } from '@cxg/simulator';
import { DETECTOR_TOPICS, endOfStreamMarkers } from '@cxg/detector';
import { ACCRUALS_TOPICS } from '@cxg/accruals';
import { stackDown, stackUp } from '@cxg/stack';
import { bucketsInRedis, expectedBuckets, prng, type BucketDump } from '../services/kpi/test/support.ts';
import { caughtUp, collect, eventually, freePort, kafkaFor, metric, runId, serdeFor } from './helpers.ts';
import { heldLines, readLedger, replayLedger, runContracts, withRunFamilies, type LedgerRun } from './ledger-scope.ts';
import { PrivateRedis } from './redis-server.ts';
import { bucketDiff, kpiEventsOf, ownBuckets, sameBuckets, scopedRecord, signalsById } from './run-scope.ts';
import { Supervised } from './supervised.ts';

const kafka = kafkaFor('test-faults');
const serde = serdeFor();
const NOW = Date.now();
const SEED = Number(process.env.CX_FAULT_SEED ?? 20261201);
let producer: Producer;
let redis: PrivateRedis;
const cleanup: Array<() => unknown> = [];

beforeAll(async () => {
  await initTopics(kafka, serde, readEndpoints().partitions);
  producer = await createProducer(kafka);
  redis = await PrivateRedis.start();
});
afterAll(async () => {
  for (const c of cleanup) c();
  await producer?.disconnect();
  await redis?.kill();
});

type Fault = 'SIGKILL detector' | 'SIGKILL kpi' | 'SIGKILL accruals' | 'Redis FLUSHALL' | 'Redis restart, empty' | 'Redis unreachable 20 s' | 'Kafka broker + registry restart';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault suite', () => {
  it('SIGKILLs, Redis loss, a Redis outage and broker restarts change no signal, no KPI count and no ledger line', async () => {
    const run = runId('faults');
    const rand = prng(SEED);
    // The run's providers carry its id, so its KPI counters are apart from any other traffic.
    const sim = simulate({ seed: SEED % 1000, customers: 1200, providers: 3, days: 5, nowMs: NOW, issueRate: 0.7, duplicateRatio: 0.02, badRatio: 0.01 });
    const records = [...sim].map((r) => withRunFamilies(scopedRecord(r, run), run));
    const watermark = replay(records.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW }).watermarkMs!;
    const markers = endOfStreamMarkers(run, watermark + DEFAULT_DETECTION.allowedLatenessMs + 1000, readEndpoints().partitions);
    const reference = replay([...records, ...markers].map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW });
    const expectedSignals = new Map(reference.signals.map((s) => [s.signal_id, s]));
    expect(expectedSignals.size).toBeGreaterThan(100);
    const settings = kpiSettingsOf(loadContractsConfig(readEndpoints().configFile));
    const ours = (d: BucketDump): BucketDump => ownBuckets(d, run);
    const wantBuckets = ours(expectedBuckets(kpiEventsOf(reference), settings));
    // The ledger: the run's contracts from the month of its first record; the third starts two days in.
    const firstDay = new Date(Math.min(...reference.accepted.map((e) => eventTimeOf(e))));
    const month = firstDay.toISOString().slice(0, 7);
    const ledgerRun: LedgerRun = {
      run,
      records: [...records, ...markers],
      ...runContracts(run, { validFrom: `${month}-01`, validTo: `${Number(month.slice(0, 4)) + 1}${month.slice(4)}-01`, lateStart: new Date(firstDay.getTime() + 2 * 86_400_000).toISOString().slice(0, 10) }),
    };

    const detectorGroup = `${run}-detector`;
    const kpiGroup = `${run}-kpi`;
    const accrualsGroup = `${run}-accruals`;
    await groupAtLogEnd(kafka, detectorGroup, DETECTOR_TOPICS);
    await groupAtLogEnd(kafka, kpiGroup, [TOPICS.contacts, TOPICS.web, TOPICS.signals]);
    await groupAtLogEnd(kafka, accrualsGroup, ACCRUALS_TOPICS);
    const ledgerDir = mkdtempSync(join(tmpdir(), 'cxg-faults-ledger-'));
    // A 10 s session: a restarted worker joins once its killed predecessor's session expired, and
    // says 503 until then (30 s, the default, would add minutes to the 21 kills).
    const env = {
      REDIS_URL: redis.url, LOG_LEVEL: 'warn', CX_SESSION_TIMEOUT_MS: '10000',
      CX_DETECTOR_GROUP: detectorGroup, CX_KPI_GROUP: kpiGroup, CX_KPI_REFRESH_MS: '1000',
      CX_ACCRUALS_GROUP: accrualsGroup, CLICKHOUSE_URL: `chdb://${ledgerDir}`,
    };
    const workers = [
      new Supervised('detector', await freePort(), env),
      new Supervised('kpi', await freePort(), env),
      new Supervised('accruals', await freePort(), { ...env, CX_CONFIG: ledgerRun.config }),
    ];
    const [detector, kpi, accruals] = workers as [Supervised, Supervised, Supervised];
    const redisWorkers = [detector, kpi];
    const signals = await collect(kafka, TOPICS.signals, (m) => m.key?.toString().startsWith(`${run}-`) ?? false);
    const allReady = () =>
      eventually(async () => ((await Promise.all(workers.map((w) => w.readyz()))).every((r) => r.status === 200) ? true : undefined), 240_000, 'every worker ready').catch(async (err: Error) => {
        const states = await Promise.all(workers.map(async (w) => `${w.name}: alive ${w.alive}, exits ${JSON.stringify(w.exits)}, /readyz ${JSON.stringify(await w.readyz())}`));
        throw new Error(`${err.message} (${states.join('; ')})`);
      });

    // The schedule: ≥ 20 kills and one of each other fault, in a seeded order.
    const faults: Fault[] = [
      ...Array<Fault>(7).fill('SIGKILL detector'),
      ...Array<Fault>(7).fill('SIGKILL kpi'),
      ...Array<Fault>(7).fill('SIGKILL accruals'),
      'Redis FLUSHALL',
      'Redis restart, empty',
      'Redis unreachable 20 s',
      'Kafka broker + registry restart',
    ];
    for (let i = faults.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [faults[i], faults[j]] = [faults[j]!, faults[i]!];
    }
    const recovery = new Map<Fault, number[]>();
    const outageProbes: Array<{ status: number; ms: number }> = [];
    const inject = async (fault: Fault): Promise<void> => {
      switch (fault) {
        case 'SIGKILL detector':
          return detector.kill();
        case 'SIGKILL kpi':
          return kpi.kill();
        case 'SIGKILL accruals':
          return accruals.kill();
        case 'Redis FLUSHALL':
          return redis.flushAll();
        case 'Redis restart, empty':
          return redis.restart();
        case 'Redis unreachable 20 s': {
          redis.pause();
          try {
            // While it lasts /readyz answers within 1 s, and says 503 once the probe saw Redis gone.
            for (let t = 0; t < 20; t++) {
              await sleep(1000);
              outageProbes.push(await detector.readyz(), await kpi.readyz());
            }
          } finally {
            redis.resume();
          }
          return;
        }
        case 'Kafka broker + registry restart':
          await stackDown();
          await stackUp();
          return;
      }
    };

    try {
      await allReady();
      const slices = faults.length + 1;
      const per = Math.ceil(records.length / slices);
      for (let i = 0; i < slices; i++) {
        const slice = records.slice(i * per, (i + 1) * per);
        const streaming = (async () => {
          for (let j = 0; j < slice.length; j += 50) {
            await produceRecords(producer, serde, slice.slice(j, j + 50), { rawOnEncodeError: true });
            await sleep(20);
          }
        })();
        const fault = faults[i];
        if (fault) {
          await sleep(200 + Math.floor(rand() * 800));
          const rebuildCount = (result: 'started' | 'done') => Promise.all(redisWorkers.map((w) => metric(w.port, 'cx_state_rebuilds_total', `result="${result}"`)));
          const before = await rebuildCount('started');
          const t = Date.now();
          await inject(fault);
          await streaming;
          // Redis lost the state: recovered once both Redis workers noticed (a rebuild started), finished every rebuild they started, and all are ready again.
          if (fault === 'Redis FLUSHALL' || fault === 'Redis restart, empty') {
            await eventually(async () => ((await rebuildCount('started')).every((n, k) => n > before[k]!) ? true : undefined), 120_000, `both workers noticing: ${fault}`);
            await eventually(async () => {
              const [started, done] = await Promise.all([rebuildCount('started'), rebuildCount('done')]);
              return started.every((n, k) => done[k]! >= n) ? true : undefined;
            }, 120_000, `both workers rebuilding: ${fault}`);
          }
          await allReady();
          recovery.set(fault, [...(recovery.get(fault) ?? []), Date.now() - t]);
          process.stderr.write(`[faults] ${i + 1}/${faults.length} ${fault}: ready again after ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
        } else await streaming;
      }
      for (const m of markers) {
        await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, partition: m.partition, value: await serde.encode(m.topic, m.value) }] });
      }

      const decoded = async () => (await signalsById(serde, signals.messages)).byId;
      const reader = redis.client();
      cleanup.push(() => reader.disconnect());
      await eventually(async () => ((await decoded()).size >= expectedSignals.size && sameBuckets(ours(await bucketsInRedis(reader, 'cx:kpi:')), wantBuckets) ? true : undefined), 300_000, 'every signal and KPI count').catch(
        async (err: Error) => {
          const got = await decoded();
          const buckets = ours(await bucketsInRedis(reader, 'cx:kpi:'));
          const diff = [...new Set([...wantBuckets.keys(), ...buckets.keys()])].flatMap((b) => {
            const w = wantBuckets.get(b) ?? {};
            const g = buckets.get(b) ?? {};
            return [...new Set([...Object.keys(w), ...Object.keys(g)])].filter((f) => w[f] !== g[f]).map((f) => `${b} ${f}: want ${w[f] ?? 0} got ${g[f] ?? 0}`);
          });
          throw new Error(`${err.message}: ${got.size}/${expectedSignals.size} signals; ${diff.length} KPI counters differ: ${diff.slice(0, 20).join('; ')}`);
        },
      );
      await sleep(3000); // anything beyond the expected would show up now
      const got = await decoded();
      const buckets = ours(await bucketsInRedis(reader, 'cx:kpi:'));
      const missing = [...expectedSignals.keys()].filter((id) => !got.has(id)).length;
      const extra = [...got.keys()].filter((id) => !expectedSignals.has(id)).length;
      const { under, over } = bucketDiff(wantBuckets, buckets);
      const { reEmittedDiffering } = await signalsById(serde, signals.messages);
      const rebuilds = (await Promise.all(redisWorkers.map((w) => metric(w.port, 'cx_state_rebuilds_total', 'result="done"')))).reduce((a, b) => a + b, 0);
      // The ledger: once the accruals group committed everything, stopped (the embedded directory has one owner), against replay.
      await eventually(async () => ((await caughtUp(kafka, accrualsGroup, ACCRUALS_TOPICS)) ? true : undefined), 300_000, 'the accruals worker to catch up');
      expect(await accruals.stop(), 'accruals stops cleanly on SIGTERM').toBe(0);
      const ledger = await readLedger(`chdb://${ledgerDir}`, ledgerRun);
      const wantLedger = await replayLedger(ledgerRun, ledger.watermark!, NOW);
      // The stream goes out in slices across topics and partitions, so records do not arrive in
      // the file's order and some count as late (an adjustment instead of part of their line):
      // what the ledger holds per line, line plus adjustments, is what must match.
      const text = (l: unknown) => JSON.stringify(l, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      const gotLines = new Map(heldLines(ledger).map((l) => [l.accrual_id, text(l)]));
      const wantLines = new Map(heldLines(wantLedger).map((l) => [l.accrual_id, text(l)]));
      const linesMissing = [...wantLines.keys()].filter((k) => !gotLines.has(k)).length;
      const linesExtra = [...gotLines.keys()].filter((k) => !wantLines.has(k)).length;
      const linesDiffering = [...wantLines].filter(([k, v]) => gotLines.has(k) && gotLines.get(k) !== v).map(([k]) => k);
      const rows = [...recovery].map(([fault, times]) => ({
        fault,
        injected: times.length,
        'recovery s (max)': (Math.max(...times) / 1000).toFixed(1),
        'records lost': missing + under + linesMissing,
        'double-counted': extra + over + linesExtra + linesDiffering.length,
      }));
      console.table(rows);
      // The cost of each rebuild, from the workers' own log lines.
      const costs = workers.flatMap((w) =>
        w.output().split('\n').filter((l) => l.includes('"msg":"state rebuilt')).map((l) => {
          const j = JSON.parse(l) as { partition: number; seconds: number; records: number; bytes: number };
          return { worker: w.name, partition: j.partition, seconds: j.seconds.toFixed(1), records: j.records, bytes: j.bytes };
        }),
      );
      console.table(costs);
      console.log(
        `fault suite (seed ${SEED}): ${records.length} records, ${expectedSignals.size} signals expected, ${got.size} got; ` +
          `KPI counters under by ${under}, over by ${over}; ledger ${ledger.lines.length} lines, ${wantLedger.lines.length} expected: ${linesMissing} missing, ${linesExtra} extra, ${linesDiffering.length} differing ${JSON.stringify(linesDiffering.slice(0, 5))}; ` +
          `ledger facts ${ledger.facts}, expected ${wantLedger.facts}; /readyz during the Redis outage: ${outageProbes.map((p) => p.status).join(' ')} (slowest ${Math.max(...outageProbes.map((p) => p.ms))} ms); ` +
          `state rebuilds finished since the last restarts: ${rebuilds}; exits by themselves (restarted): ${workers.map((w) => `${w.name} ${JSON.stringify(w.exits)}`).join(', ')}`,
      );
      expect(faults.filter((f) => f.startsWith('SIGKILL')).length).toBeGreaterThanOrEqual(20);
      expect(missing).toBe(0);
      expect(extra).toBe(0);
      // Plain objects: the decoded ones are avsc JourneySignal instances, which a Map's toEqual tells apart.
      expect(new Map([...got].map(([id, sig]) => [id, { ...sig }]))).toEqual(expectedSignals);
      expect(reEmittedDiffering).toEqual([]); // a signal sent again after a fault is the same signal
      expect(buckets).toEqual(wantBuckets);
      expect(ledger.lines.length).toBeGreaterThan(50);
      expect(ledger.facts).toBe(wantLedger.facts);
      expect(heldLines(ledger)).toEqual(heldLines(wantLedger));
      // /readyz answered within 1 s throughout, and said 503 while Redis was gone.
      expect(Math.max(...outageProbes.map((p) => p.ms))).toBeLessThan(1000);
      expect(outageProbes.some((p) => p.status === 503)).toBe(true);
      expect(redisWorkers.every((w) => w.alive)).toBe(true);
      // A worker exits only with status 1 (kafkajs gave up on its consumer), never hangs or dies otherwise.
      expect(workers.flatMap((w) => w.exits).every((code) => code === 1)).toBe(true);
      for (const w of workers) expect(await w.stop(), `${w.name} stops cleanly on SIGTERM`).toBe(0);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${workers.map((w) => `--- ${w.name}\n${w.output().slice(-4000)}`).join('\n')}`, { cause: err });
    } finally {
      await signals.stop();
      for (const w of workers) await w.stop();
    }
  }, 1_200_000);
});
