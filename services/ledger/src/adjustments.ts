/**
 * Adjustments instead of restatement (docs/accruals.md, "Adjustments"). Once a line is final it
 * is never rewritten: a later change to it is booked as an adjustment, a row dated the day it was
 * booked that refers to the line and carries the delta.
 *
 * Rating stays a recomputation from the facts. Every fact remembers when it arrived (`arrived_ms`,
 * the watermark right after it was accepted), so the ledger is a function of the facts alone:
 * - a line is rated from the facts that arrived before its cut, the instant it turned final
 *   (end of its day plus the allowed lateness; a month-close line: end of the month's last day);
 * - a fact that arrived after the cut is late for the line; the late facts that arrived on local
 *   day B are booked on B, as the change they make to the line (its value from the facts that
 *   arrived before the end of B, less its value before them) with cause `late_event`;
 * - whatever else moves a final line (a `cxg rerate` after a fix, a new contracts file) is booked
 *   on the watermark's day, with cause `rerate` or `config_change`, as the difference between the
 *   line now and what the ledger holds for it (line plus adjustments).
 * So the worker, rating every few seconds, and `cxg replay`, rating once at the end, write the
 * same rows for the same facts. A row stays open (rewritten by a re-rating) while its booking day
 * is not final at the watermark the ledger was last rated at; a final row is never rewritten.
 */
import { Decimal, MONTH_CLOSE_LINE_TYPES, endOfLocalDay, localDateOf, type Contract } from '@cxg/engine';
import { rows, type ClickHouseClient } from './clickhouse.ts';
import type { LedgerLine, StoredLine } from './ledger.ts';

export const ADJUSTMENT_CAUSES = ['late_event', 'rerate', 'config_change'] as const;
export type AdjustmentCause = (typeof ADJUSTMENT_CAUSES)[number];

export interface Adjustment {
  /** `<accrual_id>@<booked_on>:<cause>` */
  adjustment_id: string;
  /** the line it refers to */
  accrual_id: string;
  contract_id: string;
  provider_id: string;
  service_date: string;
  line_type: string;
  channel: string | null;
  booked_on: string;
  /** what it adds to the line's quantity, 4 decimals */
  quantity_delta: string;
  amount_delta_cents: bigint;
  currency: string;
  cause: AdjustmentCause;
  /** JSON: the late records (`{"records": [...]}`) or the config versions involved */
  evidence: string;
  config_version: string;
  /** the row is final once the watermark reaches this: the end of booked_on plus the allowed lateness */
  final_at_ms: number;
}

export interface StoredAdjustment extends Adjustment {
  version: string;
}

/** A month-close line type: rated from the whole month, final with the month's last day. */
export const isCloseType = (t: string): boolean => (MONTH_CLOSE_LINE_TYPES as readonly string[]).includes(t);

/** The instant a line turns final: the end of its date (a close line's: the month's last day) plus L. */
export const lineCut = (contract: Pick<Contract, 'timezone'>, date: string, latenessMs: number): number => endOfLocalDay(date, contract.timezone) + latenessMs;

/** The lines of one chunk from the facts that arrived before the end of `on`, and the late records booked that day per accrual id. */
export interface Booking {
  on: string;
  lines: ReadonlyMap<string, LedgerLine>;
  evidence: ReadonlyMap<string, readonly string[]>;
}

export interface SettleInput {
  contract: Contract;
  configVersion: string;
  latenessMs: number;
  watermarkMs: number;
  /** the watermark the ledger was last rated at: what was final then is never rewritten (null: nothing is) */
  previousWatermarkMs: number | null;
  /** the chunk's lines from every stored fact, status by the watermark */
  current: readonly LedgerLine[];
  /** lines as they stood at their cut, where late facts make them differ from `current` */
  original: ReadonlyMap<string, LedgerLine>;
  /** ascending booking days of the chunk's late facts */
  bookings: readonly Booking[];
  /** the ledger's lines of the chunk's days (needed where a line can be frozen) */
  stored: ReadonlyMap<string, StoredLine>;
  storedAdjustments: readonly StoredAdjustment[];
}

interface Value {
  q: Decimal;
  c: bigint;
}
const ZERO: Value = { q: Decimal.ZERO, c: 0n };
const valueOf = (l: { quantity: string; amount_cents: bigint } | undefined): Value =>
  l === undefined ? ZERO : { q: Decimal.fromDecimalString(l.quantity), c: l.amount_cents };
const rowValue = (a: Adjustment): Value => ({ q: Decimal.fromDecimalString(a.quantity_delta), c: a.amount_delta_cents });
const plus = (a: Value, b: Value): Value => ({ q: a.q.add(b.q), c: a.c + b.c });
const minus = (a: Value, b: Value): Value => ({ q: a.q.sub(b.q), c: a.c - b.c });
const same = (a: Value, b: Value) => a.c === b.c && a.q.eq(b.q);
const isZero = (v: Value) => v.c === 0n && v.q.isZero();

const versionOfBasis = (basis: string): string | null => {
  try {
    const v = (JSON.parse(basis) as { config_version?: unknown }).config_version;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
};

/** What a line is, from whichever source knows it. */
type LineMeta = Pick<Adjustment, 'accrual_id' | 'contract_id' | 'provider_id' | 'service_date' | 'line_type' | 'channel' | 'currency'>;
const metaOf = (l: LedgerLine | StoredLine | Adjustment): LineMeta => ({
  accrual_id: l.accrual_id,
  contract_id: l.contract_id,
  provider_id: l.provider_id,
  service_date: 'service_date' in l ? l.service_date : l.date,
  line_type: l.line_type,
  channel: l.channel,
  currency: l.currency,
});

/** How many late records a late_event row names; a backlog can make thousands late for one line. */
export const EVIDENCE_RECORDS = 20;

/**
 * A late_event row's evidence: the late records booked that day, the first EVIDENCE_RECORDS by
 * arrival, and `more` counting the rest. Every fact keeps its arrival, so the full list is the
 * line's records (`cxg evidence`) that arrived on the booking day.
 */
export const lateEvidence = (records: readonly string[]): { records: string[]; more?: number } =>
  records.length > EVIDENCE_RECORDS ? { records: records.slice(0, EVIDENCE_RECORDS), more: records.length - EVIDENCE_RECORDS } : { records: [...records] };

export const adjustmentId = (accrualId: string, bookedOn: string, cause: AdjustmentCause) => `${accrualId}@${bookedOn}:${cause}`;

/**
 * Decides what one rating writes for one chunk (pure): the lines to (re)write — every line not
 * final at the previous watermark, final ones as they stood at their cut — and the adjustment
 * rows whose value changed, each final line's late_event rows per booking day and, if the line
 * now differs from what the ledger holds for it, a rerate or config_change row booked today.
 */
export function settle(input: SettleInput): { lines: LedgerLine[]; adjustments: Adjustment[] } {
  const { contract, latenessMs, watermarkMs: w, previousWatermarkMs: prev } = input;
  const today = localDateOf(w, contract.timezone);
  const current = new Map(input.current.map((l) => [l.accrual_id, l]));
  const meta = new Map<string, LineMeta>();
  for (const l of input.current) meta.set(l.accrual_id, metaOf(l));
  for (const l of input.original.values()) if (!meta.has(l.accrual_id)) meta.set(l.accrual_id, metaOf(l));
  for (const b of input.bookings) for (const l of b.lines.values()) if (!meta.has(l.accrual_id)) meta.set(l.accrual_id, metaOf(l));
  for (const l of input.stored.values()) if (!meta.has(l.accrual_id)) meta.set(l.accrual_id, metaOf(l));
  const byLine = new Map<string, StoredAdjustment[]>();
  for (const a of input.storedAdjustments) {
    if (!meta.has(a.accrual_id)) meta.set(a.accrual_id, metaOf(a));
    let list = byLine.get(a.accrual_id);
    if (!list) byLine.set(a.accrual_id, (list = []));
    list.push(a);
  }

  const lines: LedgerLine[] = [];
  const adjustments: Adjustment[] = [];
  const row = (m: LineMeta, bookedOn: string, cause: AdjustmentCause, v: Value, evidence: object): Adjustment => ({
    ...m,
    adjustment_id: adjustmentId(m.accrual_id, bookedOn, cause),
    booked_on: bookedOn,
    quantity_delta: v.q.toFixed(4),
    amount_delta_cents: v.c,
    cause,
    evidence: JSON.stringify(evidence),
    config_version: input.configVersion,
    final_at_ms: lineCut(contract, bookedOn, latenessMs),
  });
  const frozenRow = (a: Adjustment) => prev !== null && prev >= a.final_at_ms;

  // A line is frozen once it was final at the previous rating and the ledger holds that day (or
  // that month's close) as final; a day never rated before (a ledger start moved earlier) gets its lines.
  const heldFinal = new Set([...input.stored.values()].filter((l) => l.status === 'final').map((l) => `${l.date}|${isCloseType(l.line_type)}`));

  for (const [id, m] of meta) {
    const cut = lineCut(contract, m.service_date, latenessMs);
    const stored = input.stored.get(id);
    // a stored line the contracts file no longer rates, written again as 0 (while it may still be rewritten)
    const zeroed = (status: LedgerLine['status']): LedgerLine | undefined =>
      stored && { ...stored, quantity: Decimal.ZERO.toFixed(4), amount_cents: 0n, status, basis: { config_version: input.configVersion } } as LedgerLine;
    if (w < cut) {
      // provisional: replaced as it is rated
      const l = current.get(id) ?? zeroed('provisional');
      if (l) lines.push(l);
      continue;
    }
    const frozen = prev !== null && prev >= cut && heldFinal.has(`${m.service_date}|${isCloseType(m.line_type)}`);
    const original = input.original.get(id) ?? current.get(id);
    let held: Value;
    if (frozen) held = valueOf(stored);
    else {
      const l = original ?? zeroed('final');
      if (l) lines.push(l);
      held = valueOf(original);
    }
    const existing = new Map((byLine.get(id) ?? []).map((a) => [a.adjustment_id, a]));
    const handled = new Set<string>();
    // late_event rows: the change each booking day's late facts made, after the line turned final
    let before = valueOf(original);
    for (const b of input.bookings) {
      if (endOfLocalDay(b.on, contract.timezone) <= cut) continue;
      const after = valueOf(b.lines.get(id));
      const delta = minus(after, before);
      before = after;
      const rid = adjustmentId(id, b.on, 'late_event');
      handled.add(rid);
      const st = existing.get(rid);
      if (st && frozenRow(st)) {
        held = plus(held, rowValue(st));
        continue;
      }
      // an open row is written again when its value or its records changed: a late record that
      // moves no amount (a signal for a contact_fee line) still belongs to the day's evidence
      const evidence = lateEvidence(b.evidence.get(id) ?? []);
      if ((st === undefined && !isZero(delta)) || (st !== undefined && (!same(rowValue(st), delta) || st.evidence !== JSON.stringify(evidence)))) {
        adjustments.push(row(m, b.on, 'late_event', delta, evidence));
      }
      held = plus(held, delta);
    }
    // open late_event rows no late fact stands behind any more (e.g. under new terms) go to 0
    for (const st of existing.values()) {
      if (handled.has(st.adjustment_id) || st.cause !== 'late_event') continue;
      handled.add(st.adjustment_id);
      if (frozenRow(st) || isZero(rowValue(st))) held = plus(held, rowValue(st));
      else adjustments.push(row(m, st.booked_on, 'late_event', ZERO, { records: [] }));
    }
    // what else changed the line: booked today as the difference to what the ledger holds
    const versions = new Set([stored ? versionOfBasis(stored.basis) : null, ...[...existing.values()].map((a) => a.config_version)]);
    versions.delete(null);
    versions.delete('');
    const changedTerms = [...versions].some((v) => v !== input.configVersion);
    const cause: AdjustmentCause = changedTerms ? 'config_change' : 'rerate';
    const rid = adjustmentId(id, today, cause);
    for (const st of existing.values()) if (!handled.has(st.adjustment_id) && st.adjustment_id !== rid) held = plus(held, rowValue(st));
    const residual = minus(valueOf(current.get(id)), held);
    const st = existing.get(rid);
    if ((st === undefined && !isZero(residual)) || (st !== undefined && !same(rowValue(st), residual))) {
      const evidence = changedTerms ? { config_version: input.configVersion, rated_before: [...versions].filter((v) => v !== input.configVersion).sort() } : { rerated_at_watermark_ms: w };
      adjustments.push(row(m, today, cause, residual, evidence));
    }
  }
  return { lines, adjustments };
}

export async function writeAdjustments(client: ClickHouseClient, adjustments: readonly Adjustment[], version: bigint): Promise<void> {
  if (adjustments.length === 0) return;
  const v = version.toString();
  await client.insert({
    table: 'accrual_adjustments',
    format: 'JSONEachRow',
    values: adjustments.map((a) => ({
      adjustment_id: a.adjustment_id,
      accrual_id: a.accrual_id,
      contract_id: a.contract_id,
      provider_id: a.provider_id,
      service_date: a.service_date,
      line_type: a.line_type,
      channel: a.channel,
      booked_on: a.booked_on,
      quantity_delta: a.quantity_delta,
      amount_delta_cents: a.amount_delta_cents.toString(),
      currency: a.currency,
      cause: a.cause,
      evidence: a.evidence,
      config_version: a.config_version,
      final_at_ms: a.final_at_ms,
      version: v,
    })),
  });
}

export interface AdjustmentFilter {
  contractIds?: readonly string[];
  /** inclusive local dates of the line it refers to */
  serviceFrom?: string;
  serviceTo?: string;
  /** inclusive booking dates */
  bookedFrom?: string;
  bookedTo?: string;
  /** inclusive local dates: rows booked in them or referring to a line of them (a statement's month) */
  touching?: { from: string; to: string };
  /** rows adding 0 too (a row an open rating set back to 0); left out by default */
  includeZero?: boolean;
}

/** The current adjustment rows (FINAL), ordered by contract, booking day, service date, id. */
export async function readAdjustments(client: ClickHouseClient, filter: AdjustmentFilter = {}): Promise<StoredAdjustment[]> {
  const where: string[] = [];
  if (filter.contractIds) where.push('has({contracts:Array(String)}, contract_id)');
  if (filter.serviceFrom) where.push('service_date >= toDate({sf:String})');
  if (filter.serviceTo) where.push('service_date <= toDate({st:String})');
  if (filter.bookedFrom) where.push('booked_on >= toDate({bf:String})');
  if (filter.bookedTo) where.push('booked_on <= toDate({bt:String})');
  if (filter.touching) where.push('(booked_on BETWEEN toDate({tf:String}) AND toDate({tt:String}) OR service_date BETWEEN toDate({tf:String}) AND toDate({tt:String}))');
  if (!filter.includeZero) where.push('NOT (amount_delta_cents = 0 AND quantity_delta = 0)');
  const found = await rows<Record<string, string | number | null>>(
    client,
    `SELECT adjustment_id, accrual_id, contract_id, provider_id, toString(service_date) AS sd, line_type, channel, toString(booked_on) AS bo,
            toString(quantity_delta) AS qd, toString(amount_delta_cents) AS cents, currency, cause, evidence, config_version,
            toString(final_at_ms) AS fin, toString(version) AS v
     FROM accrual_adjustments FINAL
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY contract_id, booked_on, service_date, adjustment_id`,
    {
      contracts: filter.contractIds ?? [],
      sf: filter.serviceFrom ?? '',
      st: filter.serviceTo ?? '',
      bf: filter.bookedFrom ?? '',
      bt: filter.bookedTo ?? '',
      tf: filter.touching?.from ?? '',
      tt: filter.touching?.to ?? '',
    },
  );
  return found.map((r) => ({
    adjustment_id: String(r.adjustment_id),
    accrual_id: String(r.accrual_id),
    contract_id: String(r.contract_id),
    provider_id: String(r.provider_id),
    service_date: String(r.sd),
    line_type: String(r.line_type),
    channel: r.channel === null ? null : String(r.channel),
    booked_on: String(r.bo),
    quantity_delta: Decimal.fromDecimalString(String(r.qd)).toFixed(4),
    amount_delta_cents: BigInt(String(r.cents)),
    currency: String(r.currency),
    cause: String(r.cause) as AdjustmentCause,
    evidence: String(r.evidence),
    config_version: String(r.config_version),
    final_at_ms: Number(r.fin),
    version: String(r.v),
  }));
}
