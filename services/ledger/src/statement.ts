/**
 * A contract's monthly statement for finance: the ledger's lines of one month per day and type,
 * totals per line type (and channel), and whether the month is final. Pure shaping and
 * rendering over lines read from the ledger, so the CLI and tests share it.
 */
import { ChannelValues, Decimal, LINE_TYPES, compareCodePoints, daysInMonth, exactJson, jsonDecimal } from '@cxg/engine';
import type { StoredLine } from './ledger.ts';
import type { StoredAdjustment } from './adjustments.ts';

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

/** A correction booked on `booked_on` to the line of `service_date` it refers to (adjustments.ts). */
export interface StatementAdjustment {
  booked_on: string;
  service_date: string;
  line_type: string;
  channel: string | null;
  /** 4 decimals */
  quantity_delta: string;
  amount_delta_cents: bigint;
  cause: string;
  /** the accrual_id of the line */
  refers_to: string;
  /** JSON: the late records, or the config versions */
  evidence: string;
  /** final once the watermark passed the end of booked_on plus the allowed lateness */
  status: string;
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
  /** adjustments booked in this month, to this month's lines or earlier months' */
  adjustments: StatementAdjustment[];
  /** adjustments to this month's lines booked in later months */
  later_adjustments: StatementAdjustment[];
  /** the month as a service month: its lines and every adjustment to them, whenever booked */
  service_month_cents: bigint;
  /** the month as a booking month: its lines and the adjustments booked in it */
  booking_month_cents: bigint;
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

export interface StatementOptions {
  includeZeroLines?: boolean;
  /** the contract's adjustments booked in the month or referring to it (others are left out) */
  adjustments?: readonly StoredAdjustment[];
  /** the ledger's watermark, for the adjustments' status (null: every one provisional) */
  watermarkMs?: number | null;
}

const compareAdjustments = (a: StatementAdjustment, b: StatementAdjustment) =>
  compareCodePoints(a.booked_on, b.booked_on) || compareLines({ ...a, date: a.service_date }, { ...b, date: b.service_date }) || compareCodePoints(a.cause, b.cause);

/** Builds the statement of `month` from the contract's ledger lines of that month and its adjustments. */
export function buildStatement(contractId: string, month: string, ledger: readonly StoredLine[], opts: StatementOptions = {}): Statement {
  const { from, to } = monthRange(month);
  const w = opts.watermarkMs ?? null;
  const asShown = (a: StoredAdjustment): StatementAdjustment => ({
    booked_on: a.booked_on,
    service_date: a.service_date,
    line_type: a.line_type,
    channel: a.channel,
    quantity_delta: a.quantity_delta,
    amount_delta_cents: a.amount_delta_cents,
    cause: a.cause,
    refers_to: a.accrual_id,
    evidence: a.evidence,
    status: w !== null && w >= a.final_at_ms ? 'final' : 'provisional',
  });
  const shownAdjustments = (opts.adjustments ?? []).filter((a) => a.contract_id === contractId && !(a.amount_delta_cents === 0n && Decimal.fromDecimalString(a.quantity_delta).isZero()));
  const booked = shownAdjustments.filter((a) => a.booked_on >= from && a.booked_on <= to).map(asShown).sort(compareAdjustments);
  const later = shownAdjustments.filter((a) => a.service_date >= from && a.service_date <= to && a.booked_on > to).map(asShown).sort(compareAdjustments);
  const sum = (xs: readonly StatementAdjustment[]) => xs.reduce((n, a) => n + a.amount_delta_cents, 0n);
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
  const total = mine.reduce((s, l) => s + l.amount_cents, 0n);
  return {
    contract_id: contractId,
    provider_id: mine[0]?.provider_id ?? shownAdjustments[0]?.provider_id ?? null,
    currency: mine[0]?.currency ?? shownAdjustments[0]?.currency ?? null,
    month,
    final: mine.length > 0 && mine.every((l) => l.status === 'final') && booked.every((a) => a.status === 'final'),
    closed: mine.some((l) => (['gainshare_cap', 'gainshare_quality_gate', 'customer_fee_malus', 'customer_floor_malus'] as string[]).includes(l.line_type)),
    lines,
    totals: sortedTotals,
    total_cents: total,
    provisional_cents: mine.filter((l) => l.status !== 'final').reduce((s, l) => s + l.amount_cents, 0n),
    zero_lines_omitted: mine.length - shown.length,
    adjustments: booked,
    later_adjustments: later,
    service_month_cents: total + sum(booked.filter((a) => a.service_date >= from)) + sum(later),
    booking_month_cents: total + sum(booked),
  };
}

/** Cents as a plain decimal amount with 2 places (`-1234.56`); exact at any size, no float. */
export function formatCents(cents: bigint | number): string {
  const c = BigInt(cents);
  const neg = c < 0n;
  const a = neg ? -c : c;
  return `${neg ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}

const CSV_HEADER = ['contract_id', 'provider_id', 'date', 'line_type', 'channel', 'quantity', 'amount_cents', 'currency', 'status', 'kind', 'booked_on', 'cause', 'refers_to'];

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/**
 * One row per line, then one per adjustment (kind `adjustment`: booked in the month;
 * `later_adjustment`: to this month, booked later), date = the service date, quantity and amount
 * = the delta. No total rows, so a spreadsheet can sum any column (lines + adjustment rows =
 * the booking month; lines + later rows + this month's own adjustments = the service month).
 */
export function statementCsv(s: Statement): string {
  const head = (date: string, type: string, channel: string | null, qty: string, cents: bigint, status: string) =>
    [s.contract_id, s.provider_id ?? '', date, type, channel ?? '', qty, String(cents), s.currency ?? '', status];
  const rows = [
    ...s.lines.map((l) => [...head(l.date, l.line_type, l.channel, l.quantity, l.amount_cents, l.status), 'line', '', '', '']),
    ...(['adjustment', 'later_adjustment'] as const).flatMap((kind) =>
      (kind === 'adjustment' ? s.adjustments : s.later_adjustments).map((a) => [
        ...head(a.service_date, a.line_type, a.channel, a.quantity_delta, a.amount_delta_cents, a.status),
        kind,
        a.booked_on,
        a.cause,
        a.refers_to,
      ]),
    ),
  ].map((r) => r.map(csvField).join(','));
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
    service_month_cents: s.service_month_cents,
    booking_month_cents: s.booking_month_cents,
    totals: s.totals.map((t) => ({ ...t, quantity: jsonDecimal(t.quantity) })),
    lines: s.lines.map((l) => ({ ...l, quantity: jsonDecimal(l.quantity) })),
    adjustments: s.adjustments.map(adjustmentJson),
    later_adjustments: s.later_adjustments.map(adjustmentJson),
  };
}

const adjustmentJson = (a: StatementAdjustment) => ({ ...a, quantity_delta: jsonDecimal(a.quantity_delta), evidence: JSON.parse(a.evidence) as unknown });

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
  const adjustmentTable = (xs: readonly StatementAdjustment[]) =>
    textTable(
      ['booked', 'to', 'line', 'quantity', `amount ${cur}`.trim(), 'cause', 'status'],
      xs.map((a) => [a.booked_on, a.service_date, label(a), a.quantity_delta, signed(a.amount_delta_cents), a.cause, a.status]),
      [false, false, false, true, true, false, false],
    );
  if (s.adjustments.length > 0) out.push('', `Adjustments booked in ${s.month}`, adjustmentTable(s.adjustments));
  if (s.later_adjustments.length > 0) out.push('', `Adjustments to ${s.month} booked later`, adjustmentTable(s.later_adjustments));
  if (s.adjustments.length > 0 || s.later_adjustments.length > 0) {
    out.push(
      '',
      `${s.month} as service month (its lines and every adjustment to them): ${formatCents(s.service_month_cents)} ${cur}`.trimEnd(),
      `${s.month} as booking month (its lines and the adjustments booked in it): ${formatCents(s.booking_month_cents)} ${cur}`.trimEnd(),
    );
  }
  return out.join('\n') + '\n';
}

const signed = (c: bigint) => `${c > 0n ? '+' : ''}${formatCents(c)}`;
