// The accruals worker end to end on the real stack: simulated contacts, journeys and customer
// events (with duplicates and bad records) through Kafka and the registry, with their signals (the
// engine's replay, some re-emitted as the detector does after a crash; the detector's own equality
// with replay is the detector's tests' business), the worker as `cxg run accruals` on its own
// embedded ClickHouse directory. Its ledger
// must equal the ledger `cxg replay` builds from the same events: every line, amount, quantity,
// status and basis (versions aside) — undisturbed, and after SIGKILLs mid-stream.
// Ids, provider ids and intent families are unique to the run, so runs can share the topics; the
// worker still sees other traffic produced meanwhile, which can only raise its watermark, so the
// replay gets one marker record at the worker's final watermark (a provider without a contract).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { TOPICS, replay, type InputEvent } from '@cxg/engine';
import { createProducer, groupAtLogEnd, initTopics, produceRecords, readEndpoints, type OutRecord } from '@cxg/platform';
import { simulate, withIdPrefix } from '@cxg/simulator';
import { closeLedger, openLedger, readLines, readWatermark, rows, type StoredLine } from '@cxg/ledger';
import { caughtUp, eventually, freePort, kafkaFor, runId, serdeFor, spawnCxg } from './helpers.ts';

const kafka = kafkaFor('test-accruals');
const serde = serdeFor();
const NOW = Date.now();
const ACCRUAL_INPUTS = [TOPICS.contacts, TOPICS.web, TOPICS.customers, TOPICS.signals];
let producer: Producer;

beforeAll(async () => {
  await initTopics(kafka, serde, readEndpoints().partitions);
  producer = await createProducer(kafka);
});
afterAll(async () => {
  await producer?.disconnect();
});

interface Run {
  run: string;
  records: OutRecord[];
  /** the records' signals, some twice */
  signals: OutRecord[];
  config: string;
  contracts: string[];
}

/** Ten simulated days across a month end (October closes), unique to the run, and a contracts file for its providers. */
function stream(label: string, seed: number): Run {
  const run = runId(label);
  const fam = `r${run.slice(-8)}_`;
  const sim = simulate({
    seed, customers: 200, providers: 3, days: 10, startMs: Date.UTC(2026, 9, 24), nowMs: NOW, issueRate: 0.5, duplicateRatio: 0.02, badRatio: 0.01,
  });
  const records = [...sim].map((r) => {
    const out = withIdPrefix(r, run);
    const v = out.value as Record<string, unknown>;
    if (typeof v.provider_id === 'string') v.provider_id = `${run}-${v.provider_id}`;
    for (const f of ['intent', 'journey']) if (typeof v[f] === 'string') v[f] = `${fam}${v[f] as string}`;
    return out;
  });
  const result = replay(records.map((x, i) => ({ line: i + 1, topic: x.topic, value: x.value })), { nowMs: NOW });
  const signals: OutRecord[] = result.signals.map((sig) => ({ topic: TOPICS.signals, key: sig.customer_id, value: sig }));
  signals.push(...signals.filter((_, i) => i % 17 === 0));
  const contracts = [`c-${run}-a`, `c-${run}-b`, `c-${run}-c`];
  const config = join(mkdtempSync(join(tmpdir(), 'cxg-accruals-')), 'contracts.yaml');
  writeFileSync(
    config,
    `timezone: Europe/Berlin
contracts:
  - id: ${contracts[0]}
    provider_id: ${run}-prov-a
    valid_from: 2026-10-01
    valid_to: 2026-12-31
    scope: {intent_families: [${fam}billing, ${fam}tariff]}
    transactional: {per_contact_cents: {PHONE: 420, CHAT: 300, EMAIL: 250, MESSAGING: 280}, per_minute_cents: {PHONE: 60}}
    gainshare:
      cost_per_contact_cents: 650
      baseline: {repeat_rate: 0.22, switch_rate: 0.35}
      provider_share: 0.40
      monthly_cap_cents: 5000
      quality_gate: [{kpi: csat_top2, min: 0.75}, {kpi: service_level, min: 0.70}]
    per_customer: {monthly_fee_cents: 120, won_customer_bonus_cents: 1500, quality_malus: {pct: 10, gate: [{kpi: fcr_rate, min: 0.75}]}, min_active_customers: 60}
    upsell: {commission_pct: 5}
  - id: ${contracts[1]}
    provider_id: ${run}-prov-b
    valid_from: 2026-10-01
    valid_to: 2026-12-31
    scope: {intent_families: [${fam}tech, ${fam}device]}
    transactional: {per_contact_cents: {PHONE: 390, CHAT: 280}, per_minute_cents: {PHONE: 55, CHAT: 20}}
    gainshare: {cost_per_contact_cents: 600, baseline: {repeat_rate: 0.25, switch_rate: 0.30}, provider_share: 0.50, painshare: true, quality_gate: [{kpi: abandon_rate, max: 0.10}]}
    per_customer: {monthly_fee_cents: 100, won_customer_bonus_cents: 2000}
    upsell: {commission_pct: 3.5}
  - id: ${contracts[2]}
    provider_id: ${run}-prov-c
    valid_from: 2026-10-28
    valid_to: 2027-06-30
    scope: {intent_families: [${fam}contract, ${fam}account]}
    transactional: {per_contact_cents: {PHONE: 400, CHAT: 290}}
    per_customer: {monthly_fee_cents: 110, min_active_customers: 80}
`,
  );
  return { run, records, signals, config, contracts };
}


const waitReady = (port: number) =>
  eventually(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200 ? true : undefined), 90_000, `a worker ready on ${port}`);

const stop = async (w: ReturnType<typeof spawnCxg>, signal: NodeJS.Signals) => {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise((r) => w.child.once('exit', r));
  w.child.kill(signal);
  await exited;
};

/** The run's contracts' ledger, the watermark, and how many of the run's contacts are stored. */
async function readLedger(url: string, r: Run): Promise<{ lines: StoredLine[]; watermark: number | null; facts: number }> {
  const client = await openLedger(url);
  try {
    const [n] = await rows<{ n: string }>(client, 'SELECT count() AS n FROM contacts FINAL WHERE startsWith(event_id, {run:String})', { run: `${r.run}-` });
    return { lines: await readLines(client, { contractIds: r.contracts }), watermark: await readWatermark(client), facts: Number(n?.n ?? 0) };
  } finally {
    await closeLedger(client, url);
  }
}

const strip = (lines: StoredLine[]) => lines.map(({ version: _v, ...l }) => l);

/** `cxg replay` of the run's records (plus a marker at `watermark`) into its own directory; returns its ledger and JSON. */
async function replayLedger(r: Run, watermark: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cxg-accruals-replay-'));
  const lines = r.records.map((x) => JSON.stringify({ topic: x.topic, value: x.value }));
  const accepted = replay(r.records.map((x, i) => ({ line: i + 1, topic: x.topic, value: x.value })), { nowMs: NOW }).watermarkMs!;
  if (watermark > accepted) {
    const marker = { event_id: `${r.run}-marker`, customer_id: `${r.run}-marker`, provider_id: `${r.run}-nobody`, type: 'DEACTIVATED', occurred_at: watermark, won_by_provider: false };
    lines.push(JSON.stringify({ topic: TOPICS.customers, value: marker }));
  }
  const file = join(dir, 'events.ndjson');
  writeFileSync(file, lines.join('\n') + '\n');
  const url = `chdb://${join(dir, 'ch')}`;
  const cli = spawnCxg(['replay', '--events', file, '--config', r.config, '--clickhouse', url, '--json'], {});
  const code = await new Promise((res) => cli.child.once('exit', res));
  expect(code, cli.output().slice(-2000)).toBe(0);
  const doc = JSON.parse(cli.output()) as { accruals: Array<{ contract_id: string; amount_cents: number; quantity: number; status: string; date: string; line_type: string; channel: string | null }> };
  return { ...(await readLedger(url, r)), doc };
}

/** Waits until the accruals group has rated and committed everything up to the log end. */
async function settle(group: string): Promise<void> {
  await eventually(async () => ((await caughtUp(kafka, group, ACCRUAL_INPUTS)) ? true : undefined), 120_000, 'the accruals worker to catch up');
}

async function compareWithReplay(r: Run, dir: string) {
  const kafkaSide = await readLedger(`chdb://${dir}`, r);
  expect(kafkaSide.watermark).not.toBeNull();
  const ref = await replayLedger(r, kafkaSide.watermark!);
  expect(ref.watermark).toBe(kafkaSide.watermark);
  expect(kafkaSide.facts).toBe(ref.facts);
  expect(kafkaSide.lines.length).toBeGreaterThan(100);
  // October is closed in both, with every close line final
  expect(kafkaSide.lines.filter((l) => l.line_type === 'gainshare_cap').map((l) => `${l.date}:${l.status}`)).toEqual(['2026-10-31:final']);
  expect(strip(kafkaSide.lines)).toEqual(strip(ref.lines));
  // and the replay's JSON accruals are the ledger's lines that are not 0
  const nonZero = kafkaSide.lines.filter((l) => l.amount_cents !== 0n || Number(l.quantity) !== 0);
  expect(ref.doc.accruals.length).toBe(nonZero.filter((l) => r.contracts.includes(l.contract_id)).length);
  return kafkaSide;
}

describe('accruals worker on Kafka', () => {
  it('gives the same ledger as cxg replay for the same events', async () => {
    const r = stream('accr', 31);
    const group = `${r.run}-accruals`;
    await groupAtLogEnd(kafka, group, ACCRUAL_INPUTS);
    const dir = mkdtempSync(join(tmpdir(), 'cxg-accruals-worker-'));
    const port = await freePort();
    const worker = spawnCxg(['run', 'accruals'], { CX_ACCRUALS_GROUP: group, CX_CONFIG: r.config, CLICKHOUSE_URL: `chdb://${dir}`, METRICS_PORT: String(port), LOG_LEVEL: 'warn' });
    try {
      await waitReady(port);
      await produceRecords(producer, serde, r.records, { rawOnEncodeError: true });
      await produceRecords(producer, serde, r.signals);
      await settle(group).catch((err: Error) => {
        throw new Error(`${err.message}\naccruals: ${worker.output().slice(-3000)}`);
      });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`cx_accrual_cents\\{contract="${r.contracts[0]}",line_type="contact_fee"`));
      await stop(worker, 'SIGTERM');
      expect(worker.child.exitCode, worker.output().slice(-2000)).toBe(0);
      await compareWithReplay(r, dir);
    } finally {
      await stop(worker, 'SIGKILL');
    }
  }, 300_000);

  it('killed with SIGKILL mid-stream and restarted, ends with the ledger of cxg replay', async () => {
    const r = stream('accr-kill', 32);
    const group = `${r.run}-accruals`;
    await groupAtLogEnd(kafka, group, ACCRUAL_INPUTS);
    const dir = mkdtempSync(join(tmpdir(), 'cxg-accruals-kill-'));
    const port = await freePort();
    const env = { CX_ACCRUALS_GROUP: group, CX_CONFIG: r.config, CLICKHOUSE_URL: `chdb://${dir}`, METRICS_PORT: String(port), LOG_LEVEL: 'warn' };
    const all = [...r.records, ...r.signals];
    const slices = 3;
    const per = Math.ceil(all.length / slices);
    const progress: number[] = [];
    for (let i = 0; i < slices; i++) {
      const worker = spawnCxg(['run', 'accruals'], env);
      // Joining waits out the killed member's session, so wait for the group before producing: the
      // kill then lands while the slice is being stored and rated.
      await waitReady(port);
      await produceRecords(producer, serde, all.slice(i * per, (i + 1) * per), { rawOnEncodeError: true });
      await new Promise((res) => setTimeout(res, 300 + Math.floor(Math.random() * 1500)));
      await stop(worker, 'SIGKILL');
      progress.push((await readLedger(`chdb://${dir}`, r)).facts);
    }
    const contacts = new Set(r.records.filter((x) => x.topic === TOPICS.contacts).map((x) => (x.value as InputEvent).event_id)).size;
    expect(progress.some((n) => n < contacts), `contacts stored after each kill: ${progress.join(', ')} of about ${contacts}`).toBe(true);
    const final = spawnCxg(['run', 'accruals'], env);
    try {
      await waitReady(port);
      await settle(group);
    } finally {
      await stop(final, 'SIGTERM');
    }
    await compareWithReplay(r, dir);
  }, 400_000);
});
