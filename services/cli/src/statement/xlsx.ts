/**
 * `cxg statement --format xlsx`: the statement as a workbook finance opens in a spreadsheet.
 * Pure: Statement → xlsx bytes; the command does the I/O.
 *
 * Sheets: "Lines" (one row per statement line), "Adjustments" (corrections booked in the month,
 * kind `adjustment`, then those to the month booked later, kind `later_adjustment`), "Totals"
 * (per line type and channel, a total row, the month by service and by booking month, and the
 * quality-gate result of a closed month). Each sheet starts with the same header block
 * (contract, provider, month, currency, final, closed), then a blank row, then its table.
 */
import ExcelJS from 'exceljs';
import { formatCents, type Statement } from '@cxg/ledger';

/** Money format of amount cells: 2 decimals, thousands separator. */
export const MONEY_FORMAT = '#,##0.00';
export const QUANTITY_FORMAT = '#,##0.0000';
export const DATE_FORMAT = 'yyyy-mm-dd';

export const LINES_HEADER = ['date', 'line_type', 'channel', 'quantity', 'amount', 'status'] as const;
export const ADJUSTMENTS_HEADER = ['kind', 'booked_on', 'service_date', 'line_type', 'channel', 'quantity_delta', 'amount_delta', 'cause', 'status', 'refers_to', 'evidence'] as const;
export const TOTALS_HEADER = ['line_type', 'channel', 'lines', 'quantity', 'amount', 'final'] as const;

/** 10^15 cents: below it an amount has at most 15 significant digits. */
const MONEY_NUMBER_LIMIT = 10n ** 15n;

/**
 * An amount cell's value in currency units. cents / 100 of an integer below 2^53 is one correctly
 * rounded division, the double nearest the exact decimal; but that is enough to show the right
 * cents only while the amount has at most 15 significant digits (a double holds 15 decimal digits
 * for sure, and a spreadsheet shows at most 15): at 2^53 − 1 cents, 90 071 992 547 409.91 and .9
 * are one double. So below 10^15 cents (10 000 000 000 000.00 currency units) the cell is that
 * number; at 10^15 cents and beyond it holds the exact decimal text of `formatCents` as a string
 * instead (left-aligned, and a spreadsheet's SUM skips it: such an amount is never silently
 * rounded). Totals follow the same rule, so a sheet whose lines are numbers can be summed.
 */
export function moneyCell(cents: bigint): number | string {
  return (cents < 0n ? -cents : cents) < MONEY_NUMBER_LIMIT ? Number(cents) / 100 : formatCents(cents);
}

/**
 * A quantity cell's value: its 4 decimals as a number while they are at most 15 significant
 * digits (below 10^15 units of 10^-4), else the exact decimal text as a string, as for money.
 */
export function quantityCell(q: string): number | string {
  const m = /^(-?)(\d+)(?:\.(\d{0,4}))?$/.exec(q);
  if (!m) return q;
  const units = BigInt(m[2]! + (m[3] ?? '').padEnd(4, '0'));
  return units < MONEY_NUMBER_LIMIT ? Number(q) : q;
}

/** A `YYYY-MM-DD` day as a Date at 00:00 UTC: exceljs writes it as that day's Excel serial. */
export function excelDate(day: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d));
}

/** What a controller needs of the month's `gainshare_quality_gate` line (docs/accruals.md, Month-close lines). */
export interface QualityGateResult {
  present: boolean;
  /** the line's amount: −max(0, min(G, cap)) when a gate failed, else 0 */
  amount_cents: bigint;
  /** G after the cap: Σ gainshare_repeat + gainshare_switch + gainshare_cap of the month */
  gainshare_after_cap_cents: bigint;
  /** G after the cap and the gate: what the provider keeps */
  gainshare_net_cents: bigint;
  /** the verdict the amounts allow */
  result: string;
}

export function qualityGateResult(s: Statement): QualityGateResult | null {
  const gate = s.totals.filter((t) => t.line_type === 'gainshare_quality_gate');
  if (gate.length === 0) return null;
  const sum = (types: string[]) => s.totals.filter((t) => types.includes(t.line_type)).reduce((a, t) => a + t.amount_cents, 0n);
  const amount = sum(['gainshare_quality_gate']);
  const afterCap = sum(['gainshare_repeat', 'gainshare_switch', 'gainshare_cap']);
  const result =
    amount < 0n
      ? 'failed: positive gainshare after the cap forfeited'
      : afterCap > 0n
        ? 'passed: gainshare kept'
        : 'nothing to forfeit (gainshare after the cap ≤ 0): passed, or failed without effect';
  return { present: true, amount_cents: amount, gainshare_after_cap_cents: afterCap, gainshare_net_cents: afterCap + amount, result };
}

function headerBlock(ws: ExcelJS.Worksheet, s: Statement): void {
  const rows: [string, string][] = [
    ['contract', s.contract_id],
    ['provider', s.provider_id ?? ''],
    ['month', s.month],
    ['currency', s.currency ?? ''],
    ['final', s.final ? 'final' : 'provisional'],
    ['closed', s.closed ? 'closed' : 'not closed'],
  ];
  for (const r of rows) ws.addRow(r).getCell(1).font = { bold: true };
  ws.addRow([]);
}

/** Rows of the header block plus its blank row: a sheet's table header is the next row. */
export const HEADER_ROWS = 7;

function tableHeader(ws: ExcelJS.Worksheet, head: readonly string[]): void {
  const row = ws.addRow([...head]);
  row.font = { bold: true };
  row.eachCell((c) => (c.border = { bottom: { style: 'thin' } }));
  ws.views = [{ state: 'frozen', ySplit: HEADER_ROWS + 1 }];
}

function widths(ws: ExcelJS.Worksheet, w: number[]): void {
  w.forEach((width, i) => (ws.getColumn(i + 1).width = width));
}

/** The statement as xlsx bytes. */
export async function statementXlsx(s: Statement): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'cxg statement';
  // A fixed timestamp keeps the bytes a function of the statement alone.
  wb.created = wb.modified = new Date(Date.UTC(2000, 0, 1));
  const cur = s.currency ?? '';

  const lines = wb.addWorksheet('Lines');
  headerBlock(lines, s);
  tableHeader(lines, LINES_HEADER.map((h) => (h === 'amount' && cur ? `amount ${cur}` : h)));
  for (const l of s.lines) {
    const row = lines.addRow([excelDate(l.date), l.line_type, l.channel ?? '', quantityCell(l.quantity), moneyCell(l.amount_cents), l.status]);
    row.getCell(1).numFmt = DATE_FORMAT;
    row.getCell(4).numFmt = QUANTITY_FORMAT;
    row.getCell(5).numFmt = MONEY_FORMAT;
  }
  if (s.zero_lines_omitted > 0) lines.addRow([`(${s.zero_lines_omitted} lines with quantity and amount 0 not shown)`]).font = { italic: true };
  widths(lines, [12, 24, 10, 14, 16, 12]);

  const adj = wb.addWorksheet('Adjustments');
  headerBlock(adj, s);
  tableHeader(adj, ADJUSTMENTS_HEADER.map((h) => (h === 'amount_delta' && cur ? `amount_delta ${cur}` : h)));
  for (const [kind, list] of [['adjustment', s.adjustments], ['later_adjustment', s.later_adjustments]] as const) {
    for (const a of list) {
      const row = adj.addRow([
        kind,
        excelDate(a.booked_on),
        excelDate(a.service_date),
        a.line_type,
        a.channel ?? '',
        quantityCell(a.quantity_delta),
        moneyCell(a.amount_delta_cents),
        a.cause,
        a.status,
        a.refers_to,
        a.evidence,
      ]);
      row.getCell(2).numFmt = DATE_FORMAT;
      row.getCell(3).numFmt = DATE_FORMAT;
      row.getCell(6).numFmt = QUANTITY_FORMAT;
      row.getCell(7).numFmt = MONEY_FORMAT;
    }
  }
  widths(adj, [16, 12, 12, 24, 10, 14, 16, 14, 12, 40, 40]);

  const totals = wb.addWorksheet('Totals');
  headerBlock(totals, s);
  tableHeader(totals, TOTALS_HEADER.map((h) => (h === 'amount' && cur ? `amount ${cur}` : h)));
  for (const t of s.totals) {
    const row = totals.addRow([t.line_type, t.channel ?? '', t.lines, quantityCell(t.quantity), moneyCell(t.amount_cents), t.final ? 'final' : 'provisional']);
    row.getCell(4).numFmt = QUANTITY_FORMAT;
    row.getCell(5).numFmt = MONEY_FORMAT;
  }
  const total = totals.addRow(['total', '', s.totals.reduce((n, t) => n + t.lines, 0), '', moneyCell(s.total_cents), s.final ? 'final' : 'provisional']);
  total.font = { bold: true };
  total.getCell(5).numFmt = MONEY_FORMAT;
  total.eachCell((c) => (c.border = { top: { style: 'thin' } }));
  if (s.provisional_cents !== 0n) {
    totals.addRow(['not final yet', '', '', '', moneyCell(s.provisional_cents), 'provisional']).getCell(5).numFmt = MONEY_FORMAT;
  }
  if (s.adjustments.length > 0 || s.later_adjustments.length > 0) {
    totals.addRow(['as service month', 'lines and every adjustment to them', '', '', moneyCell(s.service_month_cents)]).getCell(5).numFmt = MONEY_FORMAT;
    totals.addRow(['as booking month', 'lines and the adjustments booked in it', '', '', moneyCell(s.booking_month_cents)]).getCell(5).numFmt = MONEY_FORMAT;
  }
  const gate = qualityGateResult(s);
  if (gate) {
    totals.addRow([]);
    totals.addRow(['quality gate']).font = { bold: true };
    totals.addRow(['gate line present', 'yes']);
    for (const [k, v] of [
      ['gate line amount', gate.amount_cents],
      ['gainshare after cap', gate.gainshare_after_cap_cents],
      ['gainshare after gate', gate.gainshare_net_cents],
    ] as const) {
      const row = totals.addRow([k, '', '', '', moneyCell(v)]);
      row.getCell(5).numFmt = MONEY_FORMAT;
    }
    totals.addRow(['result', gate.result]);
  }
  widths(totals, [24, 10, 8, 14, 16, 12]);

  return Buffer.from(await wb.xlsx.writeBuffer());
}
