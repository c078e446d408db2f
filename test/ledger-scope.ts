// One test run's ledger kept apart on the shared stack, and compared with `cxg replay`: the run's
// providers and intent families carry its id (a channel switch counts for every contract whose
// scope holds its family, whoever the provider), a contracts file rates only them, and the ledger
// the accruals worker wrote is read back beside the one `cxg replay` builds from the same records.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { TOPICS, replay } from '@cxg/engine';
import type { OutRecord } from '@cxg/platform';
import { closeLedger, openLedger, readLines, readWatermark, rows, type StoredLine } from '@cxg/ledger';
import { spawnCxg } from './helpers.ts';

export interface LedgerRun {
  run: string;
  records: OutRecord[];
  /** the contracts file rating the run's providers */
  config: string;
  contracts: string[];
}

/** The run's own prefix for intent families (`<fam>billing`), short enough to read in a ledger line. */
export const familyPrefix = (run: string): string => `r${run.slice(-8)}_`;

/** `record` with its provider_id (already run-prefixed by the caller) kept and its intent or journey family prefixed. */
export function withRunFamilies(record: OutRecord, run: string): OutRecord {
  const v = { ...(record.value as Record<string, unknown>) };
  for (const f of ['intent', 'journey']) if (typeof v[f] === 'string' && v[f] !== '') v[f] = `${familyPrefix(run)}${v[f] as string}`;
  return { ...record, value: v } as OutRecord;
}

/**
 * A contracts file for the run's three simulated providers (`<run>-prov-a|b|c`), valid over
 * [validFrom, validTo] (local dates): caps, gates, painshare, a malus and floors, so every line
 * type and month close is rated.
 */
export function runContracts(run: string, { validFrom, validTo, lateStart }: { validFrom: string; validTo: string; lateStart: string }): { config: string; contracts: string[] } {
  const fam = familyPrefix(run);
  const contracts = [`c-${run}-a`, `c-${run}-b`, `c-${run}-c`];
  const config = join(mkdtempSync(join(tmpdir(), 'cxg-contracts-')), 'contracts.yaml');
  writeFileSync(
    config,
    `timezone: Europe/Berlin
contracts:
  - id: ${contracts[0]}
    provider_id: ${run}-prov-a
    valid_from: ${validFrom}
    valid_to: ${validTo}
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
    valid_from: ${validFrom}
    valid_to: ${validTo}
    scope: {intent_families: [${fam}tech, ${fam}device]}
    transactional: {per_contact_cents: {PHONE: 390, CHAT: 280}, per_minute_cents: {PHONE: 55, CHAT: 20}}
    gainshare: {cost_per_contact_cents: 600, baseline: {repeat_rate: 0.25, switch_rate: 0.30}, provider_share: 0.50, painshare: true, quality_gate: [{kpi: abandon_rate, max: 0.10}]}
    per_customer: {monthly_fee_cents: 100, won_customer_bonus_cents: 2000}
    upsell: {commission_pct: 3.5}
  - id: ${contracts[2]}
    provider_id: ${run}-prov-c
    valid_from: ${lateStart}
    valid_to: ${validTo}
    scope: {intent_families: [${fam}contract, ${fam}account]}
    transactional: {per_contact_cents: {PHONE: 400, CHAT: 290}}
    per_customer: {monthly_fee_cents: 110, min_active_customers: 80}
`,
  );
  return { config, contracts };
}

/** The run's contracts' ledger, the watermark, and how many of the run's contacts are stored. */
export async function readLedger(url: string, r: LedgerRun): Promise<{ lines: StoredLine[]; watermark: number | null; facts: number }> {
  const client = await openLedger(url);
  try {
    const [n] = await rows<{ n: string }>(client, 'SELECT count() AS n FROM contacts FINAL WHERE startsWith(event_id, {run:String})', { run: `${r.run}-` });
    return { lines: await readLines(client, { contractIds: r.contracts }), watermark: await readWatermark(client), facts: Number(n?.n ?? 0) };
  } finally {
    await closeLedger(client, url);
  }
}

/** Lines without their version (which counts ratings, and differs between a worker and a replay). */
export const strip = (lines: StoredLine[]) => lines.map(({ version: _v, ...l }) => l);

/**
 * `cxg replay` of the run's records into a directory of its own; returns its ledger and JSON. The
 * worker may have seen other traffic, which can only raise its watermark: then the replay gets one
 * marker record at `watermark` (a customer event of a provider without a contract).
 */
export async function replayLedger(r: LedgerRun, watermark: number, nowMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cxg-ledger-replay-'));
  const lines = r.records.map((x) => JSON.stringify({ topic: x.topic, value: x.value }));
  const accepted = replay(r.records.map((x, i) => ({ line: i + 1, topic: x.topic, value: x.value })), { nowMs }).watermarkMs!;
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
