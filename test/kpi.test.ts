// The KPI worker end to end on the real stack: simulated contacts and web journeys plus their
// signals (the engine's replay, some re-emitted as the detector does after a crash) go through
// Kafka and the registry; the worker runs as a child process and is killed with SIGKILL at random
// moments while records stream in. Redis must end with exactly the counters computed in memory from
// the same events. The run has topics, a consumer group and a Redis key prefix of its own, so other
// traffic on the shared stack (a detector test re-reading every contact, say) cannot reach it.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { Command } from 'commander';
import {
  TOPICS,
  foldBuckets,
  kpiTable,
  replay,
  windowBuckets,
  type KpiAlert,
  type KpiEvent,
  type KpiSettings,
  type Topic,
  type WebJourneyEvent,
} from '@cxg/engine';
import { createProducer, ensureTopics, loadSchema, produceRecords, readEndpoints, subjectOf, type OutRecord } from '@cxg/platform';
import { simulate } from '@cxg/simulator';
import type { KpisDocument, KpiTopics } from '@cxg/kpi';
import { bucketsInRedis, deleteKeys, expectedBuckets, type BucketDump } from '../services/kpi/test/support.ts';
import { register as registerKpis } from '../services/cli/src/commands/kpis.ts';
import { collect, eventually, freePort, kafkaFor, runId, serdeFor } from './helpers.ts';

const kafka = kafkaFor('test-kpi');
const serde = serdeFor();
const redis = new Redis(readEndpoints().redisUrl);
const NOW = Date.now();
const settings: KpiSettings = { serviceLevelSeconds: 20, switchOutcomes: ['ABANDONED', 'FAILED'] };
const LOGICAL: Record<keyof KpiTopics, Topic> = { contacts: TOPICS.contacts, signals: TOPICS.signals, web: TOPICS.web, alerts: TOPICS.alerts };
const workerEntry = fileURLToPath(new URL('../services/kpi/test/fixtures/worker.ts', import.meta.url));
let producer: Producer;
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  producer = await createProducer(kafka);
});
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await producer?.disconnect();
  redis.disconnect();
});

/** Topics of the run, created with the stack's partition count and the schemas/*.avsc schemas registered under their names. */
async function runTopics(run: string): Promise<KpiTopics> {
  const topics = Object.fromEntries(Object.entries(LOGICAL).map(([role, t]) => [role, `${run}.${t}`])) as unknown as KpiTopics;
  await ensureTopics(kafka, Object.values(topics).map((topic) => ({ topic, numPartitions: readEndpoints().partitions })));
  for (const [role, name] of Object.entries(topics) as [keyof KpiTopics, string][]) {
    serde.reader(name, loadSchema(LOGICAL[role]));
    await serde.register(name, loadSchema(LOGICAL[role]));
  }
  cleanup.push(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).finally(() => admin.disconnect());
    for (const name of Object.values(topics)) {
      const subject = `${readEndpoints().schemaRegistryUrl}/subjects/${encodeURIComponent(subjectOf(name))}`;
      await fetch(subject, { method: 'DELETE' });
      await fetch(`${subject}?permanent=true`, { method: 'DELETE' });
    }
  });
  return topics;
}

interface Run {
  run: string;
  records: OutRecord[];
  signals: OutRecord[];
  expected: KpiEvent[];
}

/** Three simulated days with duplicates and bad records, and their signals (some sent twice). */
function stream(run: string, seed: number): Run {
  const sim = simulate({ seed, customers: 400, providers: 3, days: 3, nowMs: NOW, issueRate: 0.8, duplicateRatio: 0.03, badRatio: 0.01 });
  const records: OutRecord[] = [...sim].filter((r) => r.topic !== TOPICS.customers);
  const result = replay(records.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW });
  const signals: OutRecord[] = result.signals.map((s) => ({ topic: TOPICS.signals, key: s.customer_id, value: s }));
  // the detector re-emits signals after its own crashes: same signal_id, no second count
  signals.push(...signals.filter((_, i) => i % 17 === 0));
  const expected: KpiEvent[] = [
    ...result.accepted.map((e): KpiEvent => ('contact_id' in e ? { kind: 'contact', event: e } : { kind: 'journey', event: e as WebJourneyEvent })),
    ...result.signals.map((s): KpiEvent => ({ kind: 'signal', event: s })),
  ];
  return { run, records, signals, expected };
}


function configFile(run: string): { file: string; contract: string; provider: string } {
  const contract = `c-${run}`;
  const provider = 'prov-a';
  const file = join(mkdtempSync(join(tmpdir(), 'cxg-kpi-')), 'contracts.yaml');
  writeFileSync(
    file,
    [
      'timezone: Europe/Berlin',
      'service_level_seconds: 20',
      'contracts:',
      `  - id: ${contract}`,
      `    provider_id: ${provider}`,
      '    valid_from: 2026-01-01',
      '    valid_to: 2027-12-31',
      '    kpi_thresholds:',
      // any abandoned contact breaches this one; the other one never breaches
      '      - {kpi: abandon_rate, max: 0.0001, window: 7d, min_samples: 5}',
      '      - {kpi: abandon_rate, max: 1, window: 24h, min_samples: 5}',
      '',
    ].join('\n'),
  );
  return { file, contract, provider };
}

function spawnWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', workerEntry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

const stop = async (w: ReturnType<typeof spawnWorker>, signal: NodeJS.Signals) => {
  if (w.child.exitCode !== null) return w.child.exitCode;
  const exited = new Promise((r) => w.child.once('exit', r));
  w.child.kill(signal);
  return exited;
};

const offered = (dump: BucketDump) => [...dump].filter(([b]) => b.startsWith('h:')).reduce((n, [, row]) => n + (row['all|offered'] ?? 0), 0);

describe('kpi worker on Kafka and Redis', () => {
  it('killed with SIGKILL at random moments and restarted, ends with exactly the counters computed in memory; alerts once; /kpis and cxg kpis answer', async () => {
    const r = stream(runId('kpi-kill'), 21 + Math.floor(Math.random() * 1000));
    expect(r.signals.length).toBeGreaterThan(20);
    const topics = await runTopics(r.run);
    const prefix = `cx:kpi:test:${r.run}:`;
    cleanup.push(() => deleteKeys(redis, prefix));
    const { file, contract, provider } = configFile(r.run);
    const port = await freePort();
    const env = {
      CX_KPI_TEST_TOPICS: JSON.stringify(topics), CX_KPI_GROUP: `${r.run}-kpi`, CX_KPI_KEY_PREFIX: prefix, CX_CONFIG: file,
      METRICS_PORT: String(port), CX_KPI_REFRESH_MS: '500', LOG_LEVEL: 'warn',
      // each restart joins once the killed member's session expired: 10 s, not the default 30 s
      CX_SESSION_TIMEOUT_MS: '10000',
    };
    const want = expectedBuckets(r.expected, settings);

    // Contacts and journeys, then their signals, in slices streamed while the worker is being killed.
    const all = [...r.records, ...r.signals].map((x) => ({ ...x, topic: topics[x.topic === TOPICS.contacts ? 'contacts' : x.topic === TOPICS.web ? 'web' : 'signals'] }));
    const slices = 5;
    const per = Math.ceil(all.length / slices);
    const progress: number[] = [];
    for (let i = 0; i < slices; i++) {
      const worker = spawnWorker(env);
      // Joining waits out the killed member's session; once joined, the slice streams in small sends
      // and the kill lands while records arrive and batches are being applied.
      await eventually(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200 ? true : undefined), 90_000, 'the worker to join');
      const slice = all.slice(i * per, (i + 1) * per);
      const streaming = (async () => {
        for (let j = 0; j < slice.length; j += 25) {
          await produceRecords(producer, serde, slice.slice(j, j + 25), { rawOnEncodeError: true });
          await new Promise((res) => setTimeout(res, 100));
        }
      })();
      await new Promise((res) => setTimeout(res, 300 + Math.floor(Math.random() * 1500)));
      await stop(worker, 'SIGKILL');
      await streaming;
      progress.push(offered(await bucketsInRedis(redis, prefix)));
    }
    // The kills landed while there was work: some incarnation applied records before its kill, not all.
    expect(progress.some((n) => n > 0 && n < offered(want)), `offered contacts counted after each kill: ${progress.join(', ')} of ${offered(want)}`).toBe(true);

    const final = spawnWorker(env);
    try {
      await eventually(async () => (JSON.stringify([...(await bucketsInRedis(redis, prefix))]) === JSON.stringify([...want]) ? true : undefined), 150_000, 'Redis counters equal to the in-memory ones').catch(
        async (err: Error) => {
          const got = await bucketsInRedis(redis, prefix);
          const sum = (d: BucketDump, c: string) => [...d].filter(([b]) => b.startsWith('h:')).reduce((n, [, row]) => n + (row[`all|${c}`] ?? 0), 0);
          const detail = ['offered', 'repeats', 'switches'].map((c) => `${c} ${sum(got, c)}/${sum(want, c)}`).join(', ');
          throw new Error(`${err.message}: got/want ${detail}; after kills ${progress.join(', ')}\n${final.output().slice(-3000)}`);
        },
      );
      await new Promise((res) => setTimeout(res, 2000)); // anything counted twice would show up now
      expect(await bucketsInRedis(redis, prefix)).toEqual(want);

      // /kpis: every KPI with its sample, equal to the in-memory counters of the window
      const res = await fetch(`http://127.0.0.1:${port}/kpis?provider=${provider}&window=24h`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as KpisDocument;
      const lastEvent = Math.max(...r.expected.map((e) => (e.kind === 'signal' ? e.event.contact_ended_at : e.event.ended_at)));
      expect(doc.watermark).toBe(lastEvent);
      const w = windowBuckets('24h', lastEvent);
      const inWindow = [...want].filter(([b]) => b.startsWith('h:') && Number(b.slice(2)) >= w.from && Number(b.slice(2)) <= w.to);
      const table = kpiTable(foldBuckets(inWindow.map(([, row]) => Object.fromEntries(Object.entries(row).map(([f, v]) => [f, String(v)])))), provider);
      expect(doc.windows['24h']).toEqual({ providers: table.providers, web: table.web });
      expect(Object.keys(doc.windows['24h']!.providers)).toEqual([provider]);
      expect(doc.windows['24h']!.providers[provider]!.abandon_rate.sample).toBeGreaterThan(0);
      const everything = (await (await fetch(`http://127.0.0.1:${port}/kpis`)).json()) as KpisDocument;
      expect(Object.keys(everything.windows)).toEqual(['1h', '24h', '7d']);
      expect(Object.keys(everything.windows['7d']!.providers)).toEqual(['all', 'prov-a', 'prov-b', 'prov-c']);
      expect((await fetch(`http://127.0.0.1:${port}/kpis?window=2h`)).status).toBe(400);

      // alerts: one BREACHED transition under one id (a copy re-sent after a kill keeps the id)
      const alertId = `${contract}|${provider}|abandon_rate|7d|1`;
      const c = await collect(kafka, topics.alerts, () => true);
      cleanup.push(() => c.stop());
      const alerts = await eventually(async () => {
        const decoded = await Promise.all(c.messages.map(async (m) => (await serde.decode(topics.alerts, m.value)) as KpiAlert));
        return decoded.length > 0 ? decoded : undefined;
      }, 30_000, 'a KpiAlert');
      expect(new Set(alerts.map((a) => a.alert_id))).toEqual(new Set([alertId]));
      expect(c.messages.every((m) => m.key?.toString() === provider)).toBe(true);
      expect(alerts[0]).toMatchObject({ provider_id: provider, contract_id: contract, kpi: 'abandon_rate', window: '7d', state: 'BREACHED', bound: 0.0001 });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(`cx_kpi_breached{provider="${provider}",kpi="abandon_rate",window="7d",contract="${contract}",worker="kpi"} 1`);
      expect(metrics).toContain(`cx_kpi_breached{provider="${provider}",kpi="abandon_rate",window="24h",contract="${contract}",worker="kpi"} 0`);
      expect(metrics).toMatch(new RegExp(`cx_kpi_sample\\{provider="${provider}",kpi="abandon_rate",window="24h",worker="kpi"\\} [1-9]`));
      expect(metrics).toMatch(/cx_web_kpi\{family="billing",kpi="self_service_success_rate",window="7d",worker="kpi"\} 0\.\d+/);

      // cxg kpis reads the same Redis: its JSON equals /kpis, its table has every provider and family
      const out: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string) => (out.push(chunk), true)) as typeof process.stdout.write;
      try {
        const program = new Command('cxg').exitOverride();
        registerKpis(program);
        await program.parseAsync(['kpis', '--provider', provider, '--window', '24h', '--json', '--prefix', prefix], { from: 'user' });
        await program.parseAsync(['kpis', '--window', '7d', '--prefix', prefix], { from: 'user' });
      } finally {
        process.stdout.write = write;
      }
      expect(JSON.parse(out[0]!)).toEqual(doc);
      for (const row of ['all', 'prov-a', 'prov-b', 'prov-c', 'billing']) expect(out[1]).toContain(row);
    } finally {
      expect(await stop(final, 'SIGTERM')).toBe(0);
    }
  }, 480_000);
});
