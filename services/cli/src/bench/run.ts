// `cxg bench`: every stage on the same records in one run, so the ratios hold on a noisy machine.
// Docs: docs/performance.md (what each row measures, and the targets).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { TOPICS, replay, type InputEvent, type InputTopic } from '@cxg/engine';
import {
  STATE_DIR,
  createKafka,
  createLogger,
  createRedis,
  deleteKeys,
  initTopics,
  loadContractsConfig,
  logEnds,
  readEndpoints,
  scanKeys,
  setGroupOffsets,
  uncommitted,
  TOPIC_VARIABLES,
  Serde,
  type OutRecord,
  type TopicPartitionOffset,
} from '@cxg/platform';
import { DETECTOR_TOPICS, DetectorKeys, RedisDetectorStore } from '@cxg/detector';
import { ACCRUALS_TOPICS } from '@cxg/accruals';
import { KpiKeys } from '@cxg/kpi';
import { closeLedger, insertFacts, openLedger, writeLines, type LedgerLine } from '@cxg/ledger';
import { simulate } from '@cxg/simulator';
import { readSpan } from './consume.ts';
import { newestProfile, profileShares } from './profile.ts';
import { busyShare, elapsed, machineCpu, memoryOfPattern, memoryUsage, metricSum, now, quantileMs, stageOf, waitFor, type Stage } from './measure.ts';
import { measureLatency, type LatencyReport } from './latency.ts';
import { only, produceStream, simulatedStream, span, type BenchStream, type StreamSpec } from './stream.ts';
import { spawnWorker, type WorkerKind, type WorkerProcess } from './workers.ts';

export const SCALES = {
  small: { customers: 26_000, days: 7 },
  large: { customers: 130_000, days: 7 },
} as const;
export type Scale = keyof typeof SCALES;

/** Simulated customers whose 7 days make about a million input events, for the engine's row. */
const ENGINE_CUSTOMERS = 112_000;
/** How long a naive worker runs: it is slow, and its rate is what counts. */
const NAIVE_SECONDS = 10;
/** The latency stage's offered rate and duration (docs/performance.md, "Latency"). */
export const LATENCY_RATE = 5000;
export const LATENCY_SECONDS = 60;

/** The parts of a run `--only` can pick; the detector runs whenever a later part needs its signals. */
export const PARTS = ['engine', 'detector', 'kpi', 'accruals', 'naive', 'clickhouse', 'redis', 'together', 'latency', 'scaling'] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions extends StreamSpec {
  scale: Scale;
  /** Run only these parts (default: all). */
  only?: ReadonlySet<Part>;
  /** Write CPU profiles of the workers into this directory. */
  cpuProfDir?: string;
  log: (line: string) => void;
}

export interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

export interface BenchReport {
  id: string;
  startedAt: string;
  scale: Scale;
  stream: { customers: number; days: number; seed: number; records: number; perTopic: Record<string, number>; signals: number };
  stages: Stage[];
  /** Absent when `--only` left the part out. */
  redis?: {
    /** Per customer: MEMORY USAGE of its state string, and the encoded state's own length (the rest is Redis's per key). */
    detector: { customersSampled: number; stateBytes: number; bytesPerCustomer: number };
    kpi: { keys: number; bytes: number; providerDays: number; bytesPerProviderDay: number };
  };
  /** Absent when `--only` left it out. */
  latency?: LatencyReport & { allowedLatenessMs: number };
  checks: Check[];
}

const KPI_TOPICS = [TOPICS.contacts, TOPICS.web, TOPICS.signals];

/** Every topic variable empty (= unset): the workers the bench spawns use the default names (docs/decisions.md). */
const DEFAULT_TOPIC_ENV: Record<string, string> = Object.fromEntries(['CX_TOPIC_PREFIX', ...Object.values(TOPIC_VARIABLES)].map((v) => [v, '']));

export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const endpoints = readEndpoints();
  const kafka = createKafka(endpoints, 'cx-bench', createLogger('bench', 'warn'));
  const serde = Serde.create(endpoints.schemaRegistryUrl);
  await initTopics(kafka, serde, endpoints.partitions);
  const id = `bench${Date.now().toString(36)}`;
  const dir = join(STATE_DIR, 'bench', id);
  mkdirSync(dir, { recursive: true });
  const nowMs = Date.now();
  const stages: Stage[] = [];
  const checks: Check[] = [];
  const add = (s: Stage) => {
    stages.push(s);
    const cpu = s.cpu ? `, worker ${s.cpu.workerCores.toFixed(2)} cores, machine ${Math.round(s.cpu.machineBusy * 100)} % busy` : '';
    opts.log(`${s.stage}: ${s.records} records in ${s.seconds.toFixed(2)} s = ${Math.round(s.perSecond)}/s${cpu}${s.note ? ` (${s.note})` : ''}`);
  };
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ check: name, ok, detail });
    opts.log(`${ok ? 'ok' : 'FAILED'}: ${name}: ${detail}`);
  };
  // Workers: own groups and key prefixes, an embedded ClickHouse of their own (one process holds it at a time).
  // The bench runs on the default topic names, as its own producer and checks do: an empty
  // CX_TOPIC_* counts as unset, so a prefix or override in the caller's environment is not inherited.
  const workerEnv = (stream: string, extra: Record<string, string> = {}) => ({
    ...DEFAULT_TOPIC_ENV,
    CX_DETECTOR_GROUP: `${stream}-detector`,
    CX_DETECTOR_KEY_PREFIX: `${stream}:det:`,
    CX_KPI_GROUP: `${stream}-kpi`,
    CX_KPI_KEY_PREFIX: `${stream}:kpi:`,
    CX_ACCRUALS_GROUP: `${stream}-accruals`,
    CLICKHOUSE_URL: `chdb://${join(dir, 'workers')}`,
    ...extra,
  });
  const want = (part: Part) => opts.only === undefined || opts.only.has(part);
  const redis = createRedis(endpoints.redisUrl);
  try {
    // 1. The pure engine on the replay path.
    if (want('engine')) {
      const records = [...simulate({ seed: opts.seed, customers: ENGINE_CUSTOMERS, providers: 3, days: 7, nowMs, issueRate: 0.6 })];
      const lines = records.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value }));
      const t0 = now();
      replay(lines, { nowMs });
      add(stageOf('engine', 'engine on the replay path (in memory, no I/O)', lines.length, elapsed(t0)));
    }

    // 2. Stream A: every worker alone reads it.
    const spec: StreamSpec = { customers: opts.customers, days: opts.days, seed: opts.seed };
    let facts: OutRecord[] = [];
    const a = await (async () => {
      const sim = simulatedStream(`${id}a`, spec, nowMs, endpoints.partitions);
      facts = sim.records.slice(0, 200_000);
      const s = await produceStream(kafka, serde, `${id}a`, sim, nowMs);
      add(stageOf('produce', 'produce (idempotent, acks=all)', s.records, s.produceSeconds));
      return s;
    })();

    if (want('detector')) add(await ceiling(kafka, serde, `${id}-ceiling-detector`, 'detector', only(a.start, DETECTOR_TOPICS), only(a.end, DETECTOR_TOPICS)));

    // 3. The detector alone; its signals are the kpi and accruals workers' third input.
    const signalsStart = await logEnds(kafka, [TOPICS.signals]);
    if ((['detector', 'kpi', 'accruals', 'redis'] as const).some(want)) {
      add(await workerStage(kafka, 'detector', `${id}a`, workerEnv(`${id}a`), only(a.start, DETECTOR_TOPICS), detectorTargets(a.end), opts.cpuProfDir));
    }
    const signalsEnd = await logEnds(kafka, [TOPICS.signals]);
    if (want('detector')) await checkSignals(kafka, serde, `${id}-signals`, a, signalsStart, signalsEnd, check);

    const kpiStart = [...only(a.start, KPI_TOPICS), ...signalsStart];
    const kpiEnd = [...only(a.end, KPI_TOPICS), ...signalsEnd];
    const accrualsStart = [...only(a.start, ACCRUALS_TOPICS), ...signalsStart];
    const accrualsEnd = [...only(a.end, ACCRUALS_TOPICS), ...signalsEnd];
    if (want('kpi')) add(await ceiling(kafka, serde, `${id}-ceiling-kpi`, 'kpi', kpiStart, kpiEnd));
    if (want('accruals')) add(await ceiling(kafka, serde, `${id}-ceiling-accruals`, 'accruals', accrualsStart, accrualsEnd));

    // 4. The kpi and accruals workers alone, and what they counted.
    for (const [kind, start, end] of [['kpi', kpiStart, kpiEnd], ['accruals', accrualsStart, accrualsEnd]] as const) {
      if (!want(kind) && !(kind === 'kpi' && want('redis'))) continue;
      const { stage, metrics } = await workerStage(kafka, kind, `${id}a`, workerEnv(`${id}a`), start, end, opts.cpuProfDir, true);
      add(stage);
      checkCounts(kind, a, metrics, check);
    }

    // 5. Naive workers: one awaited store call per record.
    if (want('naive')) {
      add(await naiveDetector(kafka, serde, redis, id, a));
      add(await naiveKpi(kafka, serde, redis, id, a));
    }
    if (want('naive') || want('clickhouse')) {
      const benchLedger = `chdb://${join(dir, 'bench')}`;
      const client = await openLedger(benchLedger);
      try {
        if (want('naive')) add(await naiveAccruals(kafka, serde, client, id, a));
        if (want('clickhouse')) {
          add(await factWrites(client, facts));
          add(await lineWrites(client, 200_000));
        }
      } finally {
        await closeLedger(client, benchLedger);
      }
    }
    facts = [];

    // 6. Redis bytes of stream A's state.
    const report: BenchReport['redis'] = want('redis')
      ? { detector: await detectorBytes(redis, new DetectorKeys(`${id}a:det:`)), kpi: await kpiBytes(redis, `${id}a:kpi:`, 3 * opts.days) }
      : undefined;

    // 7. Stream B, the same simulation under other ids: the three workers together.
    if (want('together')) {
      const b = await produceStream(kafka, serde, `${id}b`, simulatedStream(`${id}b`, spec, nowMs, endpoints.partitions), nowMs);
      add(await together(kafka, `${id}b`, workerEnv(`${id}b`), b));
    }

    // 8. Latency at a fixed rate, the three workers running, on stream C (other ids again).
    let latency: BenchReport['latency'];
    if (want('latency')) {
      const perCustomer = a.records / opts.customers;
      const customers = Math.ceil(((LATENCY_RATE * LATENCY_SECONDS) / perCustomer) * 1.05);
      const c = simulatedStream(`${id}c`, { ...spec, customers }, nowMs, endpoints.partitions);
      const env = workerEnv(`${id}c`);
      const workers: WorkerProcess[] = [];
      try {
        const measured = await measureLatency({
          kafka,
          serde,
          redis,
          records: c.records,
          markers: c.markers,
          ratePerSecond: LATENCY_RATE,
          seconds: LATENCY_SECONDS,
          partitions: endpoints.partitions,
          kpiKeys: new KpiKeys(env.CX_KPI_KEY_PREFIX),
          accrualsGroup: env.CX_ACCRUALS_GROUP!,
          startWorkers: async (ends) => {
            await setGroupOffsets(kafka, env.CX_DETECTOR_GROUP!, only(ends, DETECTOR_TOPICS));
            await setGroupOffsets(kafka, env.CX_KPI_GROUP!, only(ends, KPI_TOPICS));
            await setGroupOffsets(kafka, env.CX_ACCRUALS_GROUP!, only(ends, ACCRUALS_TOPICS));
            workers.push(...(await Promise.all((['detector', 'kpi', 'accruals'] as const).map((kind) => spawnWorker(kind, { env })))));
          },
        });
        latency = { ...measured, allowedLatenessMs: loadContractsConfig(endpoints.configFile).detection.allowed_lateness_ms };
        const q = (x: LatencyReport['kpi']) => `p50 ${x.p50Ms ?? '–'} ms, p99 ${x.p99Ms ?? '–'} ms over ${x.seen}`;
        opts.log(`latency at ${LATENCY_RATE}/s offered (${Math.round(measured.achievedPerSecond)}/s sent): kpi ${q(measured.kpi)}; signal ${q(measured.signal)}; ledger ${q(measured.ledger)}`);
      } finally {
        for (const w of workers) await w.stop();
      }
    }

    // 9. Two detector processes in one group against one, on stream A again (state of its own).
    if (want('scaling')) {
      const env = workerEnv(`${id}a2`);
      add(await workerStage(kafka, 'detector', `${id}a2`, env, only(a.start, DETECTOR_TOPICS), detectorTargets(a.end), undefined, false, 2));
    }

    await deleteKeys(redis, await scanKeys(redis, `${id}*`));
    return {
      id,
      startedAt: new Date(nowMs).toISOString(),
      scale: opts.scale,
      stream: { ...spec, records: a.records, perTopic: a.perTopic, signals: a.expected.signals.length },
      stages,
      redis: report,
      latency,
      checks,
    };
  } finally {
    redis.disconnect();
    rmSync(join(dir, 'workers'), { recursive: true, force: true });
    rmSync(join(dir, 'bench'), { recursive: true, force: true });
  }
}

const spanOf = (start: readonly TopicPartitionOffset[], end: readonly TopicPartitionOffset[]) => span(start, end, [...new Set(end.map((e) => e.topic))]);

/**
 * The detector commits no further than the oldest record it still holds, and the end-of-stream
 * markers (the last record of every partition) stay held: it is done when it committed up to them.
 */
const detectorTargets = (end: readonly TopicPartitionOffset[]) =>
  only(end, DETECTOR_TOPICS).map((e) => ({ ...e, offset: (BigInt(e.offset) - 1n).toString() }));

async function ceiling(kafka: Kafka, serde: Serde, group: string, worker: string, start: TopicPartitionOffset[], end: TopicPartitionOffset[]): Promise<Stage> {
  const r = await readSpan(kafka, serde, group, start, end);
  return stageOf(`ceiling:${worker}`, `ceiling for ${worker}: kafkajs fetch + Avro decode of its input`, r.records, r.seconds);
}

/**
 * Runs `count` processes of one worker in a group set to `start`, from the moment all are ready
 * until the group has committed `targets`.
 */
async function workerStage(
  kafka: Kafka,
  kind: WorkerKind,
  stream: string,
  env: Record<string, string>,
  start: TopicPartitionOffset[],
  targets: TopicPartitionOffset[],
  cpuProfDir: string | undefined,
  wantMetrics?: false,
  count?: number,
): Promise<Stage>;
async function workerStage(
  kafka: Kafka,
  kind: WorkerKind,
  stream: string,
  env: Record<string, string>,
  start: TopicPartitionOffset[],
  targets: TopicPartitionOffset[],
  cpuProfDir: string | undefined,
  wantMetrics: true,
): Promise<{ stage: Stage; metrics: string }>;
async function workerStage(
  kafka: Kafka,
  kind: WorkerKind,
  stream: string,
  env: Record<string, string>,
  start: TopicPartitionOffset[],
  targets: TopicPartitionOffset[],
  cpuProfDir: string | undefined,
  wantMetrics = false,
  count = 1,
): Promise<Stage | { stage: Stage; metrics: string }> {
  const group = env[`CX_${kind.toUpperCase()}_GROUP`]!;
  await setGroupOffsets(kafka, group, start);
  const workers: WorkerProcess[] = [];
  const spawnedAt = Date.now();
  let stage: Stage;
  let text: string;
  try {
    workers.push(...(await Promise.all(Array.from({ length: count }, () => spawnWorker(kind, { env, cpuProfDir })))));
    // What is left once every process is ready: a process that became ready first may have begun.
    const cpu0 = cpuSeconds(await metricsOf(workers));
    const machine0 = machineCpu();
    const t0 = now();
    const left = Number(await uncommitted(kafka, group, targets));
    await waitFor(`${kind} (${stream}) to commit its input`, async () => ((await uncommitted(kafka, group, targets)) === 0n ? true : undefined), 30 * 60_000, 100);
    const seconds = elapsed(t0);
    const machine1 = machineCpu();
    const texts = await metricsOf(workers);
    text = texts.join('\n');
    const cpu = stageCpu(cpu0, cpuSeconds(texts), machine0, machine1, seconds);
    const name = count === 1 ? `${kind} (1 process, real Kafka + ${kind === 'accruals' ? 'ClickHouse' : 'Redis'})` : `${kind} × ${count} processes in one group`;
    stage = stageOf(count === 1 ? kind : `${kind}x${count}`, name, left, seconds, {
      note: left < spanOf(start, targets) ? `${spanOf(start, targets) - left} of ${spanOf(start, targets)} read before all were ready` : undefined,
      batchP50Ms: quantileMs(texts[0]!, 'cx_batch_duration_seconds', 0.5),
      batchP99Ms: quantileMs(texts[0]!, 'cx_batch_duration_seconds', 0.99),
      cpu,
    });
  } finally {
    for (const w of workers) await w.stop();
  }
  // written when the process exits; whole-process self time, start-up (tsx compiling) included
  const profile = cpuProfDir === undefined ? undefined : newestProfile(cpuProfDir, spawnedAt);
  if (profile !== undefined) stage = { ...stage, profile: { file: profile, top: profileShares(profile) } };
  return wantMetrics ? { stage, metrics: text } : stage;
}

const metricsOf = (workers: readonly WorkerProcess[]): Promise<string[]> => Promise.all(workers.map((w) => w.metrics()));

/** CPU seconds the processes had used when these /metrics texts were read (process_cpu_seconds_total). */
const cpuSeconds = (texts: readonly string[]): number => texts.reduce((sum, t) => sum + metricSum(t, 'process_cpu_seconds_total'), 0);

/** A stage's `cpu`: the cores its workers used and the machine's busy share, between two readings of each. */
function stageCpu(workers0: number, workers1: number, machine0: ReturnType<typeof machineCpu>, machine1: ReturnType<typeof machineCpu>, seconds: number): NonNullable<Stage['cpu']> {
  return { workerCores: (workers1 - workers0) / seconds, machineBusy: busyShare(machine0, machine1), cores: machine1.cores };
}

/** All three workers at once on stream `b`, until each has committed all of it. */
async function together(kafka: Kafka, stream: string, env: Record<string, string>, b: BenchStream): Promise<Stage> {
  const signalsStart = await logEnds(kafka, [TOPICS.signals]);
  await setGroupOffsets(kafka, env.CX_DETECTOR_GROUP!, only(b.start, DETECTOR_TOPICS));
  await setGroupOffsets(kafka, env.CX_KPI_GROUP!, [...only(b.start, KPI_TOPICS), ...signalsStart]);
  await setGroupOffsets(kafka, env.CX_ACCRUALS_GROUP!, [...only(b.start, ACCRUALS_TOPICS), ...signalsStart]);
  const workers: WorkerProcess[] = [];
  try {
    workers.push(...(await Promise.all((['detector', 'kpi', 'accruals'] as const).map((kind) => spawnWorker(kind, { env })))));
    const cpu0 = cpuSeconds(await metricsOf(workers));
    const machine0 = machineCpu();
    const t0 = now();
    const left = Number(await uncommitted(kafka, env.CX_DETECTOR_GROUP!, detectorTargets(b.end)));
    await waitFor(`the detector (${stream}) to commit its input`, async () => ((await uncommitted(kafka, env.CX_DETECTOR_GROUP!, detectorTargets(b.end))) === 0n ? true : undefined), 30 * 60_000);
    // Every signal is out once the detector has committed: the others' targets are final now.
    const signalsEnd = await logEnds(kafka, [TOPICS.signals]);
    for (const [group, topics] of [[env.CX_KPI_GROUP!, KPI_TOPICS], [env.CX_ACCRUALS_GROUP!, ACCRUALS_TOPICS]] as const) {
      const targets = [...only(b.end, topics), ...signalsEnd];
      await waitFor(`${group} to commit its input`, async () => ((await uncommitted(kafka, group, targets)) === 0n ? true : undefined), 30 * 60_000);
    }
    const seconds = elapsed(t0);
    const machine1 = machineCpu();
    const cpu = stageCpu(cpu0, cpuSeconds(await metricsOf(workers)), machine0, machine1, seconds);
    return stageOf('together', 'detector + kpi + accruals together (3 processes), detector input records', left, seconds, {
      cpu,
      note: left < spanOf(b.start, detectorTargets(b.end)) ? `the detector read ${spanOf(b.start, detectorTargets(b.end)) - left} records before all were ready` : undefined,
    });
  } finally {
    for (const w of workers) await w.stop();
  }
}

/** The signals the detector sent for stream `a` are exactly those of `cxg replay` (by signal_id). */
async function checkSignals(
  kafka: Kafka,
  serde: Serde,
  group: string,
  a: BenchStream,
  start: TopicPartitionOffset[],
  end: TopicPartitionOffset[],
  check: (name: string, ok: boolean, detail: string) => void,
): Promise<void> {
  const got = new Set<string>();
  let copies = 0;
  await readSpan(kafka, serde, group, start, end, async (_t, value) => {
    const s = value as { signal_id: string; customer_id: string };
    if (!s.customer_id.startsWith(`${a.run}-`)) return;
    if (got.has(s.signal_id)) copies++;
    got.add(s.signal_id);
  });
  const want = new Set(a.expected.signals.map((s) => s.signal_id));
  const missing = [...want].filter((x) => !got.has(x)).length;
  const extra = [...got].filter((x) => !want.has(x)).length;
  check('detector signals equal cxg replay', missing === 0 && extra === 0, `${want.size} expected, ${got.size} sent (${missing} missing, ${extra} extra, ${copies} repeated deliveries)`);
}

/** The kpi or accruals worker accepted, per input topic, exactly what `cxg replay` accepts. */
function checkCounts(kind: 'kpi' | 'accruals', a: BenchStream, metrics: string, check: (name: string, ok: boolean, detail: string) => void): void {
  const topics = kind === 'kpi' ? KPI_TOPICS : ACCRUALS_TOPICS;
  const diffs: string[] = [];
  for (const topic of topics) {
    const want = topic === TOPICS.signals ? a.expected.signals.length : (a.expected.accepted[topic] ?? 0);
    const got = metricSum(metrics, 'cx_events_total', `topic="${topic}"`, 'result="accepted"');
    diffs.push(`${topic} ${got}/${want}`);
    if (got !== want) diffs.push('≠');
  }
  check(`${kind} accepted counts equal cxg replay`, !diffs.includes('≠'), diffs.filter((d) => d !== '≠').join(', '));
}

/** The naive detector: the worker's own store, one awaited read and one awaited write per record. */
async function naiveDetector(kafka: Kafka, serde: Serde, redis: ReturnType<typeof createRedis>, id: string, a: BenchStream): Promise<Stage> {
  const store = new RedisDetectorStore(redis, { keys: new DetectorKeys(`${id}:naive:`), stateTtlMs: 3_600_000 });
  const r = await readSpan(
    kafka,
    serde,
    `${id}-naive-detector`,
    only(a.start, DETECTOR_TOPICS),
    only(a.end, DETECTOR_TOPICS),
    async (topic, value, partition, offset) => {
      const e = value as { customer_id: string | null; event_id: string; contact_id?: string };
      if (e.customer_id === null) return;
      const states = await store.load([e.customer_id]);
      states.get(e.customer_id)!.accept(topic === TOPICS.contacts ? 'contact' : 'journey', e.event_id, e.contact_id ?? null, { partition, offset: Number(offset) });
      await store.save(states);
    },
    NAIVE_SECONDS,
  );
  return stageOf('naive:detector', 'naive detector: per record one awaited Redis read, one awaited write', r.records, r.seconds, { note: `first ${NAIVE_SECONDS} s` });
}

/** The naive kpi worker: one awaited HINCRBY per record, the least any counter update costs. */
async function naiveKpi(kafka: Kafka, serde: Serde, redis: ReturnType<typeof createRedis>, id: string, a: BenchStream): Promise<Stage> {
  const r = await readSpan(
    kafka,
    serde,
    `${id}-naive-kpi`,
    only(a.start, KPI_TOPICS),
    only(a.end, KPI_TOPICS),
    async (topic, value) => {
      await redis.hincrby(`${id}:naive:kpi:${(value as { provider_id?: string }).provider_id ?? 'web'}`, topic, 1);
    },
    NAIVE_SECONDS,
  );
  return stageOf('naive:kpi', 'naive kpi: per record one awaited Redis HINCRBY', r.records, r.seconds, { note: `first ${NAIVE_SECONDS} s` });
}

/** The naive accruals worker: one awaited ClickHouse insert per record. */
async function naiveAccruals(kafka: Kafka, serde: Serde, client: Awaited<ReturnType<typeof openLedger>>, id: string, a: BenchStream): Promise<Stage> {
  let version = 1n;
  const r = await readSpan(
    kafka,
    serde,
    `${id}-naive-accruals`,
    only(a.start, [TOPICS.contacts, TOPICS.web, TOPICS.customers]),
    only(a.end, [TOPICS.contacts, TOPICS.web, TOPICS.customers]),
    async (topic, value, partition, offset) => {
      await insertFacts(client, [{ topic: topic as InputTopic, event: value as InputEvent, source: `${topic}/${partition}/${offset}` }], version++);
    },
    NAIVE_SECONDS,
  );
  return stageOf('naive:accruals', 'naive accruals: per record one awaited ClickHouse insert (embedded)', r.records, r.seconds, { note: `first ${NAIVE_SECONDS} s` });
}

/** Facts as the accruals worker stores them, in its batch size, into the embedded ClickHouse. */
async function factWrites(client: Awaited<ReturnType<typeof openLedger>>, records: readonly OutRecord[]): Promise<Stage> {
  const facts = records.filter((r) => r.topic !== TOPICS.signals).map((r, i) => ({ topic: r.topic as InputTopic, event: r.value as InputEvent, source: `bench/0/${i}` }));
  const t0 = now();
  for (let i = 0; i < facts.length; i += 1000) await insertFacts(client, facts.slice(i, i + 1000), BigInt(i + 1));
  return stageOf('clickhouse:facts', 'ClickHouse embedded: fact rows written, 1 000 per insert', facts.length, elapsed(t0));
}

/** Ledger lines written in batches of 5 000. */
async function lineWrites(client: Awaited<ReturnType<typeof openLedger>>, n: number): Promise<Stage> {
  const line = (i: number): LedgerLine => ({
    accrual_id: `bench:${i}`,
    contract_id: 'bench',
    provider_id: 'bench',
    date: '2026-11-01',
    line_type: 'contact_fee',
    channel: 'PHONE',
    quantity: '12.0000',
    amount_cents: BigInt(i),
    currency: 'EUR',
    status: 'provisional',
    basis: { bench: String(i) },
  });
  const t0 = now();
  for (let i = 0; i < n; i += 5000) await writeLines(client, Array.from({ length: Math.min(5000, n - i) }, (_, j) => line(i + j)), BigInt(i + 1));
  return stageOf('clickhouse:lines', 'ClickHouse embedded: ledger rows written, 5 000 per insert', n, elapsed(t0));
}

/** MEMORY USAGE of the detector's state string per customer (duplicate markers and timeline), over up to 2 000 customers. */
async function detectorBytes(redis: ReturnType<typeof createRedis>, keys: DetectorKeys): Promise<NonNullable<BenchReport['redis']>['detector']> {
  const stateKeys = (await scanKeys(redis, keys.statePattern())).slice(0, 2000);
  const usage = await memoryUsage(redis, stateKeys);
  const p = redis.pipeline();
  for (const k of stateKeys) p.strlen(k);
  const lengths = ((await p.exec()) ?? []).map(([, v]) => Number(v ?? 0));
  const n = Math.max(1, stateKeys.length);
  const mean = (xs: number[]) => Math.round(xs.reduce((x, y) => x + y, 0) / n);
  return { customersSampled: stateKeys.length, stateBytes: mean(lengths), bytesPerCustomer: mean(usage) };
}

async function kpiBytes(redis: ReturnType<typeof createRedis>, prefix: string, providerDays: number): Promise<NonNullable<BenchReport['redis']>['kpi']> {
  const { keys, bytes } = await memoryOfPattern(redis, `${prefix}*`);
  return { keys, bytes, providerDays, bytesPerProviderDay: Math.round(bytes / providerDays) };
}
