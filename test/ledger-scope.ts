// One test run's ledger kept apart on the shared stack, and compared with `cxg replay`: the run's
// providers and intent families carry its id (a channel switch counts for every contract whose
// scope holds its family, whoever the provider), a contracts file rates only them, and the ledger
// the accruals worker wrote is read back beside the one `cxg replay` builds from the same records.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Decimal, TOPICS, localDateOf, replay, type JourneySignal } from '@cxg/engine';
import type { OutRecord } from '@cxg/platform';
import { closeLedger, openLedger, readAdjustments, readLines, readWatermark, rows, type StoredAdjustment, type StoredLine } from '@cxg/ledger';
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

/** The run's contracts' ledger (lines and adjustments), the watermark, and how many of the run's contacts are stored. */
export async function readLedger(url: string, r: LedgerRun): Promise<{ lines: StoredLine[]; adjustments: StoredAdjustment[]; watermark: number | null; facts: number }> {
  const client = await openLedger(url);
  try {
    const [n] = await rows<{ n: string }>(client, 'SELECT count() AS n FROM contacts FINAL WHERE startsWith(event_id, {run:String})', { run: `${r.run}-` });
    return {
      lines: await readLines(client, { contractIds: r.contracts }),
      adjustments: await readAdjustments(client, { contractIds: r.contracts, includeZero: true }),
      watermark: await readWatermark(client),
      facts: Number(n?.n ?? 0),
    };
  } finally {
    await closeLedger(client, url);
  }
}

/** Rows without their version (which counts ratings, and differs between a worker and a replay). */
export const strip = <T extends { version: string }>(rows: T[]) => rows.map(({ version: _v, ...l }) => l);

/**
 * What the ledger holds per line, its line plus every adjustment to it, with the line's status:
 * the same whatever order the records arrived in (a late record moves money from the line to an
 * adjustment, never in or out of the sum), so runs that cannot keep the file's order compare this.
 */
export function heldLines(ledger: { lines: StoredLine[]; adjustments: StoredAdjustment[] }): Array<{ accrual_id: string; status: string; quantity: string; amount_cents: bigint }> {
  const held = new Map<string, { accrual_id: string; status: string; q: Decimal; amount_cents: bigint }>();
  const at = (id: string, status: string) => held.get(id) ?? held.set(id, { accrual_id: id, status, q: Decimal.ZERO, amount_cents: 0n }).get(id)!;
  for (const l of ledger.lines) {
    const h = at(l.accrual_id, l.status);
    h.q = h.q.add(Decimal.fromDecimalString(l.quantity));
    h.amount_cents += l.amount_cents;
  }
  for (const a of ledger.adjustments) {
    const h = at(a.accrual_id, 'final');
    h.q = h.q.add(Decimal.fromDecimalString(a.quantity_delta));
    h.amount_cents += a.amount_delta_cents;
  }
  return [...held.values()]
    .filter((h) => !(h.amount_cents === 0n && h.q.isZero()))
    .map(({ q, ...h }) => ({ ...h, quantity: q.toFixed(4) }))
    .sort((a, b) => (a.accrual_id < b.accrual_id ? -1 : a.accrual_id > b.accrual_id ? 1 : 0));
}

/**
 * The run's records and signals as the waves to produce one after the other, each once the worker
 * has caught up with the one before, so that the worker reads them in the replay's order as far as
 * the ledger can tell. A record arrives with the watermark after it (the greatest event time
 * accepted so far, in file order), and the ledger looks at an arrival only through the local day
 * it falls on and the day it is final for, the pair (day of a, day of a − L) in the contracts' zone.
 * A wave is a run of records whose arrivals share that pair, and it is produced in two parts: its
 * first record, which takes the watermark into the pair, then the rest. Read in any order, the rest
 * then arrive between the first one's arrival and the wave's greatest, the same pair, so the order
 * inside a wave, which the topics' partitions do not keep, cannot change a line or an adjustment
 * (read together, a record of the wave older than its first, a late copy, could arrive with the
 * previous wave's watermark). A signal arrives with the worker's watermark when it is read, and
 * `cxg replay` gives it its contact's arrival: the signals of a wave follow it as a wave of their
 * own, since read before their contact (another topic) they too would arrive with the previous
 * wave's watermark; `extra` (re-emitted signals) go with the last.
 */
export function inWaves(records: readonly OutRecord[], signals: readonly OutRecord[], extra: readonly OutRecord[], nowMs: number, timeZone: string, latenessMs: number): OutRecord[][] {
  const result = replay(records.map((x, i) => ({ line: i + 1, topic: x.topic, value: x.value })), { nowMs });
  const arrived = new Map([...result.arrivedMs].map(([e, a]) => [e.event_id, a]));
  const band = (a: number) => `${localDateOf(a, timeZone)}|${localDateOf(a - latenessMs, timeZone)}`;
  const waves: Array<{ band: string; records: OutRecord[]; signals: OutRecord[] }> = [];
  let watermark = -Infinity;
  for (const x of records) {
    const id = (x.value as { event_id?: unknown }).event_id;
    const a = typeof id === 'string' ? arrived.get(id) : undefined;
    if (a !== undefined && a > watermark) watermark = a;
    const b = watermark === -Infinity ? '' : band(watermark);
    if (waves.at(-1)?.band !== b) waves.push({ band: b, records: [], signals: [] });
    waves.at(-1)!.records.push(x);
  }
  for (const s of signals) {
    const a = arrived.get((s.value as JourneySignal).contact_event_id);
    const wave = (a === undefined ? undefined : waves.find((w) => w.band === band(a))) ?? waves.at(-1)!;
    wave.signals.push(s);
  }
  waves.at(-1)!.signals.push(...extra);
  return waves.flatMap((w) => [w.records.slice(0, 1), w.records.slice(1), w.signals]).filter((w) => w.length > 0);
}

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
