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
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { TOPICS, localDateOf, replay, type ContactEvent, type InputEvent } from '@cxg/engine';
import { createProducer, groupAtLogEnd, initTopics, loadContractsConfig, produceRecords, readEndpoints, type OutRecord } from '@cxg/platform';
import { simulate, withIdPrefix } from '@cxg/simulator';
import { ACCRUALS_TOPICS } from '@cxg/accruals';
import { caughtUp, eventually, freePort, kafkaFor, runId, serdeFor, spawnCxg } from './helpers.ts';
import { inWaves, readLedger, replayLedger, runContracts, strip, withRunFamilies, type LedgerRun } from './ledger-scope.ts';

const kafka = kafkaFor('test-accruals');
const serde = serdeFor();
const NOW = Date.now();
let producer: Producer;

beforeAll(async () => {
  await initTopics(kafka, serde, readEndpoints().partitions);
  producer = await createProducer(kafka);
});
afterAll(async () => {
  await producer?.disconnect();
});

/**
 * Ten simulated days across a month end (October closes), unique to the run, and a contracts file
 * for its providers; at the end, copies of three of prov-a's contacts (new ids) from final days,
 * one in closed October: late records the ledger books as adjustments on the last day.
 */
function stream(label: string, seed: number): LedgerRun & { waves: OutRecord[][] } {
  const run = runId(label);
  const sim = simulate({
    seed, customers: 200, providers: 3, days: 10, startMs: Date.UTC(2026, 9, 24), nowMs: NOW, issueRate: 0.5, duplicateRatio: 0.02, badRatio: 0.01,
  });
  const records = [...sim].map((r) => {
    const out = withIdPrefix(r, run);
    const v = out.value as Record<string, unknown>;
    if (typeof v.provider_id === 'string') v.provider_id = `${run}-${v.provider_id}`;
    return withRunFamilies(out as OutRecord, run);
  });
  const dayOf = (x: OutRecord) => localDateOf((x.value as ContactEvent).ended_at, 'Europe/Berlin');
  for (const day of ['2026-10-26', '2026-10-30', '2026-11-01']) {
    const x = records.find((y) => y.topic === TOPICS.contacts && (y.value as ContactEvent).provider_id === `${run}-prov-a` && dayOf(y) === day)!;
    const v = x.value as ContactEvent;
    records.push({ ...x, value: { ...v, event_id: `${v.event_id}-late`, contact_id: `${v.contact_id}-late`, sale_cents: 2500 } });
  }
  const result = replay(records.map((x, i) => ({ line: i + 1, topic: x.topic, value: x.value })), { nowMs: NOW });
  // the records' signals, some twice (as the detector re-emits after a crash)
  const signals: OutRecord[] = result.signals.map((sig) => ({ topic: TOPICS.signals, key: sig.customer_id, value: sig }));
  const again = signals.filter((_, i) => i % 17 === 0);
  const contracts = runContracts(run, { validFrom: '2026-10-01', validTo: '2026-12-31', lateStart: '2026-10-28' });
  const { timezone, detection } = loadContractsConfig(contracts.config);
  const waves = inWaves(records, signals, again, NOW, timezone, detection.allowed_lateness_ms);
  return { run, records, waves, ...contracts };
}

/** Produces wave after wave, each once the worker caught up with the one before (ledger-scope.ts, inWaves). */
async function produceInWaves(waves: OutRecord[][], group: string, afterWave?: (i: number) => Promise<void>): Promise<void> {
  for (const [i, wave] of waves.entries()) {
    await produceRecords(producer, serde, wave, { rawOnEncodeError: true });
    await afterWave?.(i);
    await settle(group);
  }
}

const waitReady = (port: number) =>
  eventually(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200 ? true : undefined), 90_000, `a worker ready on ${port}`);

const stop = async (w: ReturnType<typeof spawnCxg>, signal: NodeJS.Signals) => {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise((r) => w.child.once('exit', r));
  w.child.kill(signal);
  await exited;
};

/** Waits until the accruals group has rated and committed everything up to the log end. */
async function settle(group: string): Promise<void> {
  await eventually(async () => ((await caughtUp(kafka, group, ACCRUALS_TOPICS)) ? true : undefined), 120_000, 'the accruals worker to catch up');
}

async function compareWithReplay(r: LedgerRun, dir: string) {
  const kafkaSide = await readLedger(`chdb://${dir}`, r);
  expect(kafkaSide.watermark).not.toBeNull();
  const ref = await replayLedger(r, kafkaSide.watermark!, NOW);
  expect(ref.watermark).toBe(kafkaSide.watermark);
  expect(kafkaSide.facts).toBe(ref.facts);
  expect(kafkaSide.lines.length).toBeGreaterThan(100);
  // October is closed in both, with every close line final
  expect(kafkaSide.lines.filter((l) => l.line_type === 'gainshare_cap').map((l) => `${l.date}:${l.status}`)).toEqual(['2026-10-31:final']);
  expect(strip(kafkaSide.lines)).toEqual(strip(ref.lines));
  // the late copies are adjustments booked on the watermark's day, to final days of both months
  const lastDay = localDateOf(kafkaSide.watermark!, 'Europe/Berlin');
  const late = kafkaSide.adjustments.filter((a) => a.cause === 'late_event');
  expect(new Set(late.map((a) => a.service_date))).toEqual(new Set(['2026-10-26', '2026-10-30', '2026-11-01']));
  expect(late.filter((a) => a.booked_on !== lastDay || a.contract_id !== r.contracts[0])).toEqual([]);
  expect(late.find((a) => a.line_type === 'upsell_commission' && a.service_date === '2026-10-30')).toMatchObject({ quantity_delta: '2500.0000', amount_delta_cents: 125n });
  expect(strip(kafkaSide.adjustments)).toEqual(strip(ref.adjustments));
  // and the replay's JSON accruals are the ledger's lines that are not 0
  const nonZero = kafkaSide.lines.filter((l) => l.amount_cents !== 0n || Number(l.quantity) !== 0);
  expect(ref.doc.accruals.length).toBe(nonZero.filter((l) => r.contracts.includes(l.contract_id)).length);
  return kafkaSide;
}

describe('accruals worker on Kafka', () => {
  it('gives the same ledger as cxg replay for the same events', async () => {
    const r = stream('accr', 31);
    const group = `${r.run}-accruals`;
    await groupAtLogEnd(kafka, group, ACCRUALS_TOPICS);
    const dir = mkdtempSync(join(tmpdir(), 'cxg-accruals-worker-'));
    const port = await freePort();
    const worker = spawnCxg(['run', 'accruals'], { CX_ACCRUALS_GROUP: group, CX_CONFIG: r.config, CLICKHOUSE_URL: `chdb://${dir}`, METRICS_PORT: String(port), LOG_LEVEL: 'warn' });
    try {
      await waitReady(port);
      await produceInWaves(r.waves, group).catch((err: Error) => {
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
    await groupAtLogEnd(kafka, group, ACCRUALS_TOPICS);
    const dir = mkdtempSync(join(tmpdir(), 'cxg-accruals-kill-'));
    const port = await freePort();
    // each restart joins once the killed member's session expired: 10 s, not the default 30 s
    const env = { CX_ACCRUALS_GROUP: group, CX_CONFIG: r.config, CLICKHOUSE_URL: `chdb://${dir}`, METRICS_PORT: String(port), LOG_LEVEL: 'warn', CX_SESSION_TIMEOUT_MS: '10000' };
    // killed in three waves, the last the one with the late records (their adjustments)
    const n = r.waves.length;
    const killAt = new Set([Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1]);
    const progress: number[] = [];
    let worker = spawnCxg(['run', 'accruals'], env);
    try {
      await waitReady(port);
      await produceInWaves(r.waves, group, async (i) => {
        if (!killAt.has(i)) return;
        // the kill lands while the wave is being stored and rated
        await new Promise((res) => setTimeout(res, 300 + Math.floor(Math.random() * 1500)));
        await stop(worker, 'SIGKILL');
        progress.push((await readLedger(`chdb://${dir}`, r)).facts);
        // joining waits out the killed member's session before the wave is read again
        worker = spawnCxg(['run', 'accruals'], env);
        await waitReady(port);
      });
    } finally {
      await stop(worker, 'SIGTERM');
    }
    const contacts = new Set(r.records.filter((x) => x.topic === TOPICS.contacts).map((x) => (x.value as InputEvent).event_id)).size;
    expect(progress.some((c) => c < contacts), `contacts stored after each kill: ${progress.join(', ')} of about ${contacts}`).toBe(true);
    await compareWithReplay(r, dir);
  }, 400_000);
});
