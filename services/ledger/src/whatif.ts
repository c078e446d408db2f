/**
 * A business case over history (`cxg whatif`, docs/accruals.md "What if: a proposal over history"):
 * the stored facts rated under a proposed contracts file with the worker's own code, compared
 * per contract, month and line type with the ledger as booked. Nothing is written.
 */
import { compareCodePoints, exactJson, lastDayOfMonth, monthOf, type ContractsConfig } from '@cxg/engine';
import type { ClickHouseClient } from './clickhouse.ts';
import { readLines, type LedgerLine, type StoredLine } from './ledger.ts';
import { readAdjustments } from './adjustments.ts';
import { computeChunk, rangeChunks } from './rating.ts';
import { formatCents, textTable, typeRank } from './statement.ts';

/** The month-close lines whose basis says whether their KPI gates passed. */
const GATE_LINES = ['gainshare_quality_gate', 'customer_fee_malus'] as const;

export interface WhatIfRow {
  contract_id: string;
  month: string;
  line_type: string;
  actual_cents: bigint;
  proposed_cents: bigint;
  difference_cents: bigint;
}

export interface WhatIfGate {
  contract_id: string;
  month: string;
  /** the close line that carries the gates */
  line_type: (typeof GATE_LINES)[number];
  /** null: no such line on that side (month not closed, or no gate in that contract) */
  actual_passed: boolean | null;
  proposed_passed: boolean | null;
}

export interface WhatIfMonth {
  contract_id: string;
  month: string;
  actual_cents: bigint;
  proposed_cents: bigint;
  difference_cents: bigint;
}

export interface WhatIf {
  from: string;
  to: string;
  rows: WhatIfRow[];
  months: WhatIfMonth[];
  gates: WhatIfGate[];
  actual_cents: bigint;
  proposed_cents: bigint;
  difference_cents: bigint;
}

type Comparable = Pick<StoredLine, 'contract_id' | 'date' | 'line_type' | 'amount_cents'> & { basis: unknown };

function gatePassed(basis: unknown): boolean | null {
  const b = (typeof basis === 'string' ? JSON.parse(basis) : basis) as { passed?: unknown } | null;
  return typeof b?.passed === 'boolean' ? b.passed : null;
}

/**
 * Compares two sets of lines (pure): amounts summed per contract, month and line type (channels
 * together), a row wherever either side has a line; gate outcomes from the close lines' basis.
 */
export function compareLines(actual: readonly Comparable[], proposed: readonly Comparable[], from: string, to: string): WhatIf {
  const rows = new Map<string, WhatIfRow>();
  const gates = new Map<string, WhatIfGate>();
  const add = (l: Comparable, side: 'actual' | 'proposed') => {
    const month = monthOf(l.date);
    const key = `${l.contract_id}\u0000${month}\u0000${l.line_type}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { contract_id: l.contract_id, month, line_type: l.line_type, actual_cents: 0n, proposed_cents: 0n, difference_cents: 0n }));
    r[`${side}_cents`] += l.amount_cents;
    r.difference_cents = r.proposed_cents - r.actual_cents;
    // an adjustment (no basis) moves the amount; the outcome stays the close line's
    if ((GATE_LINES as readonly string[]).includes(l.line_type) && l.basis !== null) {
      let g = gates.get(key);
      if (!g) gates.set(key, (g = { contract_id: l.contract_id, month, line_type: l.line_type as WhatIfGate['line_type'], actual_passed: null, proposed_passed: null }));
      g[`${side}_passed`] = gatePassed(l.basis);
    }
  };
  for (const l of actual) add(l, 'actual');
  for (const l of proposed) add(l, 'proposed');
  const order = (a: { contract_id: string; month: string; line_type?: string }, b: typeof a) =>
    compareCodePoints(a.contract_id, b.contract_id) || compareCodePoints(a.month, b.month) || typeRank(a.line_type ?? '') - typeRank(b.line_type ?? '');
  const sortedRows = [...rows.values()].sort(order);
  const months = new Map<string, WhatIfMonth>();
  for (const r of sortedRows) {
    const key = `${r.contract_id}\u0000${r.month}`;
    let m = months.get(key);
    if (!m) months.set(key, (m = { contract_id: r.contract_id, month: r.month, actual_cents: 0n, proposed_cents: 0n, difference_cents: 0n }));
    m.actual_cents += r.actual_cents;
    m.proposed_cents += r.proposed_cents;
    m.difference_cents += r.difference_cents;
  }
  const sum = (k: 'actual_cents' | 'proposed_cents') => sortedRows.reduce((s, r) => s + r[k], 0n);
  const actualCents = sum('actual_cents');
  const proposedCents = sum('proposed_cents');
  return {
    from,
    to,
    rows: sortedRows,
    months: [...months.values()],
    gates: [...gates.values()].sort(order),
    actual_cents: actualCents,
    proposed_cents: proposedCents,
    difference_cents: proposedCents - actualCents,
  };
}

/**
 * Rates the facts of `from`..`to` (widened to whole months: a closed month's close lines depend
 * on all its days) under `proposal` at the ledger's watermark, and compares with what the ledger
 * holds for the same months (lines and adjustments by service month). Contracts are matched by id; one only on one side shows with 0 on the other.
 */
export async function whatIf(
  client: ClickHouseClient,
  proposal: ContractsConfig,
  range: { from: string; to: string },
  watermarkMs: number,
  onProgress?: (done: number, total: number, label: string) => void,
): Promise<WhatIf> {
  const from = `${monthOf(range.from)}-01`;
  const to = lastDayOfMonth(monthOf(range.to));
  // what the ledger holds for these months: their lines plus every adjustment to them (a gate's outcome stays its close line's)
  const adjustments = await readAdjustments(client, { serviceFrom: from, serviceTo: to });
  const actual: Comparable[] = [
    ...(await readLines(client, { from, to })),
    ...adjustments.map((a) => ({ contract_id: a.contract_id, date: a.service_date, line_type: a.line_type, amount_cents: a.amount_delta_cents, basis: null })),
  ];
  const chunks = await rangeChunks(client, proposal, proposal.contracts, from, to, watermarkMs);
  const proposed: LedgerLine[] = [];
  for (const [i, chunk] of chunks.entries()) {
    proposed.push(...(await computeChunk(client, proposal, chunk, watermarkMs)));
    onProgress?.(i + 1, chunks.length, `${chunk.contract.id} ${chunk.month}`);
  }
  return compareLines(actual, proposed, from, to);
}

const signed = (c: bigint) => (c > 0n ? `+${formatCents(c)}` : formatCents(c));
const outcome = (p: boolean | null) => (p === null ? '-' : p ? 'passed' : 'failed');

/** The table: one row per contract, month and line type, a total row per contract month, then the gates. */
export function whatIfText(w: WhatIf, title: string): string {
  const body: string[][] = [];
  for (const m of w.months) {
    for (const r of w.rows.filter((x) => x.contract_id === m.contract_id && x.month === m.month)) {
      body.push([r.contract_id, r.month, r.line_type, formatCents(r.actual_cents), formatCents(r.proposed_cents), signed(r.difference_cents)]);
    }
    body.push([m.contract_id, m.month, 'month total', formatCents(m.actual_cents), formatCents(m.proposed_cents), signed(m.difference_cents)]);
  }
  body.push(['all', `${monthOf(w.from)}..${monthOf(w.to)}`, 'total', formatCents(w.actual_cents), formatCents(w.proposed_cents), signed(w.difference_cents)]);
  const out = [title, '', textTable(['contract', 'month', 'line', 'actual', 'proposed', 'difference'], body, [false, false, false, true, true, true])];
  if (w.gates.length > 0) {
    out.push(
      '',
      'KPI gates at month close (actual → proposed)',
      textTable(
        ['contract', 'month', 'gate', 'actual', 'proposed'],
        w.gates.map((g) => [g.contract_id, g.month, g.line_type, outcome(g.actual_passed), outcome(g.proposed_passed)]),
        [false, false, false, false, false],
      ),
    );
  }
  return out.join('\n') + '\n';
}

const CSV_HEADER = ['contract_id', 'month', 'line_type', 'actual_cents', 'proposed_cents', 'difference_cents'];

/** One row per contract, month and line type (no total rows, so a spreadsheet can sum any column). */
export function whatIfCsv(w: WhatIf): string {
  return [CSV_HEADER.join(','), ...w.rows.map((r) => [r.contract_id, r.month, r.line_type, r.actual_cents, r.proposed_cents, r.difference_cents].join(','))].join('\n') + '\n';
}

/** One line of exact JSON (cents as integers with every digit). */
export function whatIfJsonText(w: WhatIf, extra: Record<string, unknown>): string {
  return exactJson({ ...extra, ...w });
}
