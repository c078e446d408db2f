/**
 * A contract's monthly statement for finance: the ledger's lines of one month per day and type,
 * totals per line type (and channel), and whether the month is final. Pure shaping and
 * rendering over lines read from the ledger, so the CLI and tests share it.
 */
import { ChannelValues, Decimal, LINE_TYPES, compareCodePoints, daysInMonth, exactJson, jsonDecimal } from '@cxg/engine';
import type { StoredLine } from './ledger.ts';

export interface StatementLine {
  date: string;
  line_type: string;
  channel: string | null;
  /** 4 decimals */
  quantity: string;
  amount_cents: bigint;
  status: string;
}

export interface StatementTotal {
  line_type: string;
  channel: string | null;
  quantity: string;
  amount_cents: bigint;
  lines: number;
  final: boolean;
}

export interface Statement {
  contract_id: string;
  provider_id: string | null;
  currency: string | null;
  month: string;
  /** every line of the month is final */
  final: boolean;
  /** month-close lines exist: the watermark passed the end of the month's last day plus L */
  closed: boolean;
  lines: StatementLine[];
  totals: StatementTotal[];
  total_cents: bigint;
  provisional_cents: bigint;
  /** lines left out because quantity and amount are both 0 */
  zero_lines_omitted: number;
}

const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
export const isMonth = (m: string): boolean => MONTH_RE.test(m);

export const monthRange = (month: string): { from: string; to: string } => ({
  from: `${month}-01`,
  to: `${month}-${String(daysInMonth(month)).padStart(2, '0')}`,
});

/** A line type's place in the line order of docs/accruals.md (unknown types last). */
export const typeRank = (t: string) => {
  const i = (LINE_TYPES as readonly string[]).indexOf(t);
  return i < 0 ? LINE_TYPES.length : i;
};
const channelRank = (c: string | null) => (c === null ? -1 : (ChannelValues as readonly string[]).indexOf(c));

/** Statement order: date, then the line order of docs/accruals.md, then channel order. */
function compareLines(a: Pick<StatementLine, 'date' | 'line_type' | 'channel'>, b: Pick<StatementLine, 'date' | 'line_type' | 'channel'>): number {
  return compareCodePoints(a.date, b.date) || typeRank(a.line_type) - typeRank(b.line_type) || channelRank(a.channel) - channelRank(b.channel);
}

const isZero = (l: StoredLine) => l.amount_cents === 0n && Decimal.fromDecimalString(l.quantity).isZero();

/** Builds the statement of `month` from the contract's ledger lines of that month. */
export function buildStatement(contractId: string, month: string, ledger: readonly StoredLine[], opts: { includeZeroLines?: boolean } = {}): Statement {
  const { from, to } = monthRange(month);
  const mine = ledger.filter((l) => l.contract_id === contractId && l.date >= from && l.date <= to);
  const shown = opts.includeZeroLines ? mine : mine.filter((l) => !isZero(l));
  const lines = shown
    .map((l) => ({ date: l.date, line_type: l.line_type, channel: l.channel, quantity: l.quantity, amount_cents: l.amount_cents, status: l.status }))
    .sort(compareLines);
  const totals = new Map<string, StatementTotal & { q: Decimal }>();
  for (const l of mine) {
    const key = `${l.line_type}\u0000${l.channel ?? ''}`;
    let t = totals.get(key);
    if (!t) totals.set(key, (t = { line_type: l.line_type, channel: l.channel, quantity: '', amount_cents: 0n, lines: 0, final: true, q: Decimal.ZERO }));
    t.q = t.q.add(Decimal.fromDecimalString(l.quantity));
    t.amount_cents += l.amount_cents;
    t.lines++;
    t.final &&= l.status === 'final';
  }
  const sortedTotals = [...totals.values()]
    .map(({ q, ...t }) => ({ ...t, quantity: q.toFixed(4) }))
    .sort((a, b) => typeRank(a.line_type) - typeRank(b.line_type) || channelRank(a.channel) - channelRank(b.channel));
  return {
    contract_id: contractId,
    provider_id: mine[0]?.provider_id ?? null,
    currency: mine[0]?.currency ?? null,
    month,
    final: mine.length > 0 && mine.every((l) => l.status === 'final'),
    closed: mine.some((l) => (['gainshare_cap', 'gainshare_quality_gate', 'customer_fee_malus', 'customer_floor_malus'] as string[]).includes(l.line_type)),
    lines,
    totals: sortedTotals,
    total_cents: mine.reduce((s, l) => s + l.amount_cents, 0n),
    provisional_cents: mine.filter((l) => l.status !== 'final').reduce((s, l) => s + l.amount_cents, 0n),
    zero_lines_omitted: mine.length - shown.length,
  };
}

/** Cents as a plain decimal amount with 2 places (`-1234.56`); exact at any size, no float. */
export function formatCents(cents: bigint | number): string {
  const c = BigInt(cents);
  const neg = c < 0n;
  const a = neg ? -c : c;
  return `${neg ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}

const CSV_HEADER = ['contract_id', 'provider_id', 'date', 'line_type', 'channel', 'quantity', 'amount_cents', 'currency', 'status'];

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** One row per line (no total rows, so a spreadsheet can sum any column). */
export function statementCsv(s: Statement): string {
  const rows = s.lines.map((l) =>
    [s.contract_id, s.provider_id ?? '', l.date, l.line_type, l.channel ?? '', l.quantity, String(l.amount_cents), s.currency ?? '', l.status].map(csvField).join(','),
  );
  return [CSV_HEADER.join(','), ...rows].join('\n') + '\n';
}

/**
 * The JSON document: quantities as JSON numbers (up to 4 decimals), money in integer cents, both
 * with every digit when printed with `exactJson` (`statementJsonText`): amounts are bigint and
 * quantities `JsonNumber`s, so plain `JSON.stringify` would refuse or round them.
 */
export function statementJson(s: Statement) {
  return {
    contract_id: s.contract_id,
    provider_id: s.provider_id,
    currency: s.currency,
    month: s.month,
    final: s.final,
    closed: s.closed,
    total_cents: s.total_cents,
    provisional_cents: s.provisional_cents,
    totals: s.totals.map((t) => ({ ...t, quantity: jsonDecimal(t.quantity) })),
    lines: s.lines.map((l) => ({ ...l, quantity: jsonDecimal(l.quantity) })),
  };
}

/** `cxg statement --format json`: the document as one line of exact JSON. */
export function statementJsonText(s: Statement): string {
  return exactJson(statementJson(s));
}

/** A plain-text table: columns padded to their widest cell (`right`: right-aligned), a dashed rule under the head. */
export function textTable(head: string[], rows: string[][], right: boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

const label = (t: { line_type: string; channel: string | null }) => (t.channel ? `${t.line_type} ${t.channel}` : t.line_type);

/** Plain-text statement: header, lines per day and type, totals per type. */
export function statementText(s: Statement): string {
  const cur = s.currency ?? '';
  const state = s.lines.length === 0 && s.totals.length === 0 ? 'no lines' : s.final ? 'final' : `provisional (${formatCents(s.provisional_cents)} ${cur} not final yet)`;
  const out = [
    `Statement ${s.contract_id}${s.provider_id ? ` (${s.provider_id})` : ''}, ${s.month}${cur ? `, ${cur}` : ''}: ${state}; month ${s.closed ? 'closed' : 'not closed'}`,
    '',
    textTable(
      ['date', 'line', 'quantity', `amount ${cur}`.trim(), 'status'],
      s.lines.map((l) => [l.date, label(l), l.quantity, formatCents(l.amount_cents), l.status]),
      [false, false, true, true, false],
    ),
  ];
  if (s.zero_lines_omitted > 0) out.push(`(${s.zero_lines_omitted} lines with quantity and amount 0 not shown)`);
  out.push(
    '',
    'Totals',
    textTable(
      ['line', 'lines', 'quantity', `amount ${cur}`.trim(), 'status'],
      [
        ...s.totals.map((t) => [label(t), String(t.lines), t.quantity, formatCents(t.amount_cents), t.final ? 'final' : 'provisional']),
        ['total', String(s.totals.reduce((n, t) => n + t.lines, 0)), '', formatCents(s.total_cents), s.final ? 'final' : 'provisional'],
      ],
      [false, true, true, true, false],
    ),
  );
  return out.join('\n') + '\n';
}
