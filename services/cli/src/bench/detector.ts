import type { Redis } from 'ioredis';
import { DEFAULT_DETECTION, TOPICS, replay } from '@cxg/engine';
import {
  createKafka,
  createLogger,
  createProducer,
  createRedis,
  groupAtLogEnd,
  initTopics,
  produceRecords,
  readEndpoints,
  scanKeys,
  Serde,
  type OutRecord,
} from '@cxg/platform';
import { DETECTOR_TOPICS, endOfStreamMarkers, startDetector } from '@cxg/detector';
import { simulate, withIdPrefix } from '@cxg/simulator';

export interface BenchOptions {
  customers: number;
  days: number;
  seed: number;
  log: (line: string) => void;
}

export interface Stage {
  stage: string;
  records: number;
  seconds: number;
  perSecond: number;
  batchP50Ms?: number;
  batchP99Ms?: number;
}

export interface DetectorBench {
  stages: Stage[];
  signals: number;
  redis: { customersSampled: number; timelineBytes: number; dedupeBytes: number; bytesPerCustomer: number };
}

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/** Quantile from a Prometheus histogram's cumulative buckets (upper bound of the bucket that holds it). */
function quantileMs(metricsText: string, name: string, q: number): number | undefined {
  const buckets = [...metricsText.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"[^}]*\\} (\\d+)`, 'gm'))].map((m) => ({
    le: m[1] === '+Inf' ? Infinity : Number(m[1]),
    n: Number(m[2]),
  }));
  const total = buckets.at(-1)?.n ?? 0;
  if (total === 0) return undefined;
  return (buckets.find((b) => b.n >= q * total)?.le ?? Infinity) * 1000;
}

const metricSum = (text: string, name: string) =>
  [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+]+)`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);

/** Average MEMORY USAGE of up to `sample` keys matching `pattern` (the first SCAN finds). */
async function memoryPerKey(redis: Redis, pattern: string, sample: number): Promise<{ keys: number; bytes: number }> {
  const keys = (await scanKeys(redis, pattern)).slice(0, sample);
  let bytes = 0;
  for (const k of keys) bytes += Number(await redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
  return { keys: keys.length, bytes };
}

/**
 * Detector throughput on a simulated stream through the real Kafka, registry and Redis, beside two
 * baselines measured in the same run: the pure engine over the same events in memory, and a
 * consumer that only fetches and decodes them (the floor any Kafka worker pays).
 */
export async function benchDetector(opts: BenchOptions): Promise<DetectorBench> {
  const endpoints = readEndpoints();
  const log = createLogger('bench', 'warn');
  const kafka = createKafka(endpoints, 'cx-bench', log);
  const serde = Serde.create(endpoints.schemaRegistryUrl);
  await initTopics(kafka, serde, endpoints.partitions);
  const run = `bench${Date.now().toString(36)}`;
  const nowMs = Date.now();
  const records: OutRecord[] = [...simulate({ seed: opts.seed, customers: opts.customers, providers: 3, days: opts.days, nowMs, issueRate: 0.6 })]
    .filter((r) => r.topic !== TOPICS.customers)
    .map((r) => withIdPrefix(r, run));
  const stages: Stage[] = [];
  const stage = (name: string, n: number, t0: bigint, extra: Partial<Stage> = {}) => {
    const s = seconds(t0);
    stages.push({ stage: name, records: n, seconds: s, perSecond: n / s, ...extra });
    opts.log(`${name}: ${n} records in ${s.toFixed(2)} s`);
  };

  let t0 = process.hrtime.bigint();
  const expected = replay(records.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs }).signals.length;
  stage('engine in memory (replay)', records.length, t0);

  const baselineGroup = `${run}-decode-only`;
  const detectorGroup = `${run}-detector`;
  await groupAtLogEnd(kafka, baselineGroup, DETECTOR_TOPICS);
  await groupAtLogEnd(kafka, detectorGroup, DETECTOR_TOPICS);

  const producer = await createProducer(kafka);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < records.length; i += 5000) await produceRecords(producer, serde, records.slice(i, i + 5000));
  stage('produce (idempotent, acks=all)', records.length, t0);
  // a loop, not Math.max(...): a spread of 240 000 arguments overflows the stack
  const last = records.reduce((max, r) => Math.max(max, (r.value as { ended_at: number }).ended_at), -Infinity);
  const markers = endOfStreamMarkers(run, last + DEFAULT_DETECTION.allowedLatenessMs + 1000, endpoints.partitions);
  for (const m of markers) await producer.send({ topic: m.topic, acks: -1, messages: [{ key: m.key, partition: m.partition, value: await serde.encode(m.topic, m.value) }] });
  await producer.disconnect();
  const total = records.length + markers.length;

  // Baseline: fetch and decode only.
  const consumer = kafka.consumer({ groupId: baselineGroup });
  await consumer.connect();
  await consumer.subscribe({ topics: [...DETECTOR_TOPICS] });
  let decoded = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  t0 = process.hrtime.bigint();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) await serde.decode(batch.topic, m.value);
      decoded += batch.messages.length;
      if (decoded >= total) done();
    },
  });
  await finished;
  stage('baseline: fetch + Avro decode only', total, t0);
  await consumer.disconnect();

  // The detector, one worker in this process; the clock starts once it has subscribed.
  const worker = await startDetector({ groupId: detectorGroup, metricsPort: 0 });
  t0 = process.hrtime.bigint();
  const port = (worker.server.address() as { port: number }).port;
  let text = '';
  for (;;) {
    text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    if (metricSum(text, 'cx_signals_total') >= expected) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  stage('detector (1 worker, Redis, signals produced)', total, t0, {
    batchP50Ms: quantileMs(text, 'cx_batch_duration_seconds', 0.5),
    batchP99Ms: quantileMs(text, 'cx_batch_duration_seconds', 0.99),
  });
  await worker.stop();

  const redis = createRedis(endpoints.redisUrl);
  const tl = await memoryPerKey(redis, `cx:tl:{${run}-*`, 500);
  const ev = await memoryPerKey(redis, `cx:ev:{${run}-*`, 500);
  redis.disconnect();
  const tlAvg = tl.keys ? tl.bytes / tl.keys : 0;
  const evAvg = ev.keys ? ev.bytes / ev.keys : 0;
  return {
    stages,
    signals: expected,
    redis: { customersSampled: tl.keys, timelineBytes: Math.round(tlAvg), dedupeBytes: Math.round(evAvg), bytesPerCustomer: Math.round(tlAvg + evAvg) },
  };
}
