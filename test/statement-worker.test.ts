// `cxg statement` against a running embedded pipeline (docs/accruals.md, "Reading statements from a
// running embedded pipeline"): the accruals worker runs as `cxg run accruals` on its own chdb
// directory, which it then holds (chdb lets one process open a directory). While it runs,
// `cxg statement` on that directory must fall back to the worker's GET /statement and print what
// it prints from the directory itself once the worker stopped: table, json and csv, byte for byte.
// Ids and provider ids are unique to the run and the group starts at the log end, so runs can share
// the topics; the statement is of October, which the run's own events close (they reach into
// November), so other traffic meanwhile cannot change it.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { TOPICS, replay } from '@cxg/engine';
import { createProducer, groupAtLogEnd, initTopics, loadContractsConfig, produceRecords, readEndpoints, type OutRecord } from '@cxg/platform';
import { simulate, withIdPrefix } from '@cxg/simulator';
import { chdbHolder } from '@cxg/ledger';
import { ACCRUALS_TOPICS } from '@cxg/accruals';
import { caughtUp, cxgBin, eventually, freePort, kafkaFor, runId, serdeFor, spawnCxg } from './helpers.ts';
import { familyPrefix, inWaves, withRunFamilies } from './ledger-scope.ts';

const kafka = kafkaFor('test-statement-worker');
const serde = serdeFor();
const NOW = Date.now();

const run = runId('stmt');
const contract = `c-${run}-a`;
const dir = mkdtempSync(join(tmpdir(), 'cxg-statement-worker-'));
const clickhouse = `chdb://${dir}`;
let port = 0;
let producer: Producer;
let worker: ReturnType<typeof spawnCxg> | null = null;
let midStream: ReturnType<typeof cxg> | null = null;

/** `cxg <args>` as a user runs it, stdout and stderr apart. */
function cxg(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cxgBin, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/**
 * Ten simulated days from 24 October 2026 (October closes), unique to the run, with their
 * signals, as waves produced one after the other (ledger-scope.ts, inWaves): read in bulk across
 * topics, records would arrive out of order and many count as late (adjustments, not lines).
 */
function recordWaves(latenessMs: number): OutRecord[][] {
  const sim = simulate({ seed: 41, customers: 150, providers: 1, days: 10, startMs: Date.UTC(2026, 9, 24), nowMs: NOW, issueRate: 0.5 });
  const out = [...sim].map((r) => {
    const x = withIdPrefix(r, run);
    const v = x.value as Record<string, unknown>;
    if (typeof v.provider_id === 'string') v.provider_id = `${run}-${v.provider_id}`;
    return withRunFamilies(x as OutRecord, run);
  });
  const { signals } = replay(out.map((x, i) => ({ line: i + 1, topic: x.topic, value: x.value })), { nowMs: NOW });
  return inWaves(out, signals.map((s) => ({ topic: TOPICS.signals, key: s.customer_id, value: s })), [], NOW, 'Europe/Berlin', latenessMs);
}

function contractsFile(): string {
  const fam = familyPrefix(run);
  const file = join(mkdtempSync(join(tmpdir(), 'cxg-statement-worker-config-')), 'contracts.yaml');
  writeFileSync(
    file,
    `timezone: Europe/Berlin
contracts:
  - id: ${contract}
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
      quality_gate: [{kpi: csat_top2, min: 0.75}]
    per_customer: {monthly_fee_cents: 120, won_customer_bonus_cents: 1500, min_active_customers: 60}
    upsell: {commission_pct: 5}
`,
  );
  return file;
}

const stopWorker = async (signal: NodeJS.Signals) => {
  const w = worker;
  if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise((r) => w.child.once('exit', r));
  w.child.kill(signal);
  await exited;
};

const statementArgs = (...extra: string[]) => ['statement', '--contract', contract, '--month', '2026-10', ...extra];
/** What the CLI prints through the worker, kept for the comparison after it stopped. */
const viaWorker: Record<string, string> = {};
const FORMATS: Record<string, string[]> = { table: [], json: ['--json'], csv: ['--format', 'csv', '--all-lines'] };

beforeAll(async () => {
  await initTopics(kafka, serde, readEndpoints().partitions);
  producer = await createProducer(kafka);
  const group = `${run}-accruals`;
  await groupAtLogEnd(kafka, group, ACCRUALS_TOPICS);
  port = await freePort();
  const config = contractsFile();
  worker = spawnCxg(['run', 'accruals'], { CX_ACCRUALS_GROUP: group, CX_CONFIG: config, CLICKHOUSE_URL: clickhouse, METRICS_PORT: String(port), LOG_LEVEL: 'warn' });
  await eventually(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200 ? true : undefined), 90_000, 'the accruals worker ready');
  for (const [i, wave] of recordWaves(loadContractsConfig(config).detection.allowed_lateness_ms).entries()) {
    await produceRecords(producer, serde, wave, { rawOnEncodeError: true });
    // one read while the worker is still storing and rating the run (its route shares the worker's client)
    if (i === 0) midStream = cxg(statementArgs('--json'), { CLICKHOUSE_URL: clickhouse, METRICS_PORT: String(port) });
    await eventually(async () => ((await caughtUp(kafka, group, ACCRUALS_TOPICS)) ? true : undefined), 120_000, 'the accruals worker to catch up').catch((err: Error) => {
      throw new Error(`${err.message}\naccruals: ${worker!.output().slice(-3000)}`);
    });
  }
}, 400_000);

afterAll(async () => {
  await stopWorker('SIGKILL');
  await producer?.disconnect();
});

describe('cxg statement from a running embedded pipeline', () => {
  it('reads through the accruals worker while the worker holds the directory', async () => {
    // mid-stream: a statement so far, or none yet (exit 1), but never a failure to read
    const early = await midStream!;
    expect([0, 1], early.stderr).toContain(early.code);
    if (early.code === 1) expect(early.stderr).toMatch(/^cxg statement: no ledger lines for /);
    const holder = chdbHolder(dir);
    expect(holder, 'the worker holds the chdb directory').not.toBeNull();
    const env = { CLICKHOUSE_URL: clickhouse, METRICS_PORT: String(port) };
    const [table, json, csv, explicit] = await Promise.all([
      cxg(statementArgs(...FORMATS.table!), env),
      cxg(statementArgs(...FORMATS.json!), env),
      cxg(statementArgs(...FORMATS.csv!), env),
      // --worker alone, with a ClickHouse it does not need
      cxg(statementArgs('--json', '--worker', `127.0.0.1:${port}`), { CLICKHOUSE_URL: 'http://127.0.0.1:1/nowhere' }),
    ]);
    for (const r of [table, json, csv, explicit]) expect(r.code, r.stderr).toBe(0);
    expect(table.stderr + json.stderr + csv.stderr).toBe('');
    expect(explicit.stdout).toBe(json.stdout);
    const doc = JSON.parse(json.stdout) as { contract_id: string; final: boolean; closed: boolean; lines: unknown[]; total_cents: number };
    expect(doc).toMatchObject({ contract_id: contract, final: true, closed: true });
    expect(doc.lines.length).toBeGreaterThan(30);
    expect(table.stdout).toMatch(new RegExp(`^Statement ${contract} \\(${run}-prov-a\\), 2026-10, EUR: final; month closed\\n`));
    // the route itself answers the document --json prints (every number here fits a double)
    const res = await fetch(`http://127.0.0.1:${port}/statement?contract=${contract}&month=2026-10`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(json.stdout.trimEnd());
    viaWorker.table = table.stdout;
    viaWorker.json = json.stdout;
    viaWorker.csv = csv.stdout;
  }, 60_000);

  it('says in one line why, when neither the directory nor a worker of it answers', async () => {
    const [noWorker, noLines, badWorker] = await Promise.all([
      // the directory is held, and nothing listens on the METRICS_PORT the CLI asks
      cxg(statementArgs(), { CLICKHOUSE_URL: clickhouse, METRICS_PORT: String(await freePort()) }),
      cxg(['statement', '--contract', `${contract}-nope`, '--month', '2026-10'], { CLICKHOUSE_URL: clickhouse, METRICS_PORT: String(port) }),
      cxg(statementArgs('--worker', `http://127.0.0.1:${await freePort()}`)),
    ]);
    expect(noWorker.code).toBe(2);
    expect(noWorker.stdout).toBe('');
    expect(noWorker.stderr).toMatch(new RegExp(`^cxg statement: ${clickhouse} is in use by another process \\(pid \\d+\\) and no accruals worker answers at http://127\\.0\\.0\\.1:\\d+ \\(ECONNREFUSED\\): stop that process, or pass --worker http://host:port of the accruals worker that owns it\\n$`));
    expect(noLines.code).toBe(1);
    expect(noLines.stderr).toMatch(new RegExp(`^cxg statement: no ledger lines for ${contract}-nope in 2026-10 in ${clickhouse} \\(through the accruals worker at http://127\\.0\\.0\\.1:${port}\\) \\(contracts with lines: [^\\n]*${contract}[^\\n]*\\)\\n$`));
    expect(badWorker.code).toBe(2);
    expect(badWorker.stderr).toMatch(/^cxg statement: no accruals worker answers at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\n$/);
  }, 60_000);

  it('prints the same as reading the directory itself once the worker stopped', async () => {
    expect(Object.keys(viaWorker), 'the reads through the worker ran').toEqual(['table', 'json', 'csv']);
    await stopWorker('SIGTERM');
    expect(worker!.child.exitCode, worker!.output().slice(-2000)).toBe(0);
    expect(chdbHolder(dir)).toBeNull();
    const env = { CLICKHOUSE_URL: clickhouse, METRICS_PORT: String(port) };
    // one after the other: one process at a time may open the directory
    const direct = [];
    for (const args of Object.values(FORMATS)) direct.push(await cxg(statementArgs(...args), env));
    const [table, json, csv] = direct;
    for (const r of direct) expect(r.code, r.stderr).toBe(0);
    expect(table!.stdout).toBe(viaWorker.table);
    expect(json!.stdout).toBe(viaWorker.json);
    expect(csv!.stdout).toBe(viaWorker.csv);
  }, 60_000);
});
