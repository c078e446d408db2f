/**
 * Reading a statement from a ledger, and carrying it over HTTP unchanged: the one query behind
 * `cxg statement` and the accruals worker's `GET /statement` (docs/accruals.md, "Reading
 * statements from a running embedded pipeline").
 *
 * An embedded ClickHouse directory (chdb) can be open in one process only, so while the accruals
 * worker owns it, the CLI asks the worker. The worker's health server prints its JSON routes with
 * `JSON.stringify`, which refuses bigints and rounds long decimals; `statementWire` therefore turns
 * every number into a JSON number when `JSON.stringify` prints it with every digit (then the text
 * is byte for byte what `statementJsonText` prints) and into a string otherwise (beyond 2^53),
 * and `statementFromDocument` rebuilds the exact Statement from either form, so the CLI renders
 * the table, csv and json from the worker's answer with the same code as from the ledger.
 */
import { resolve } from 'node:path';
import { Decimal, JsonNumber } from '@cxg/engine';
import { rows, type ClickHouseClient } from './clickhouse.ts';
import { readLines, readWatermark } from './ledger.ts';
import { readAdjustments } from './adjustments.ts';
import {
  buildStatement,
  isMonth,
  monthRange,
  statementJson,
  type Statement,
  type StatementAdjustment,
  type StatementLine,
  type StatementTotal,
} from './statement.ts';

/** The accruals worker's routes (on its METRICS_PORT). */
export const STATEMENT_ROUTE = '/statement';
export const LEDGER_ROUTE = '/ledger';

export type ReadStatement = { statement: Statement } | { statement: null; contractsWithLines: string[] };

/** The statement of `contractId`'s `month`, or, when the ledger has no line of it, the contracts that have lines. */
export async function readStatement(client: ClickHouseClient, contractId: string, month: string, opts: { includeZeroLines?: boolean } = {}): Promise<ReadStatement> {
  const { from, to } = monthRange(month);
  const lines = await readLines(client, { contractIds: [contractId], from, to });
  // booked in the month, then those to the month booked later (a row is never booked before its day)
  const touching = await readAdjustments(client, { contractIds: [contractId], touching: { from, to } });
  const adjustments = [...touching.filter((a) => a.booked_on <= to), ...touching.filter((a) => a.booked_on > to)];
  if (lines.length === 0 && adjustments.length === 0) {
    const known = await rows<{ c: string }>(client, 'SELECT DISTINCT contract_id AS c FROM accrual_lines ORDER BY c');
    return { statement: null, contractsWithLines: known.map((k) => k.c) };
  }
  const watermarkMs = await readWatermark(client);
  return { statement: buildStatement(contractId, month, lines, { includeZeroLines: opts.includeZeroLines ?? false, adjustments, watermarkMs }) };
}

/** `no ledger lines for k in 2026-10 in <where> (contracts with lines: …)`: the CLI's exit-1 message, from either source. */
export function noLinesMessage(contractId: string, month: string, where: string, contractsWithLines: readonly string[]): string {
  return `no ledger lines for ${contractId} in ${month} in ${where} (contracts with lines: ${contractsWithLines.join(', ') || 'none'})`;
}

/**
 * Where a ledger is, fit to show and to compare: a chdb directory as an absolute path (resolved
 * against this process's working directory), a server URL without user and password.
 */
export function ledgerLocation(url: string): string {
  if (url.startsWith('chdb://')) return `chdb://${resolve(decodeURIComponent(url.slice('chdb://'.length)))}`;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** The query of `GET /statement` for a contract month (`all_lines=1`: zero lines too). */
export function statementQuery(contractId: string, month: string, allLines: boolean): string {
  const q = new URLSearchParams({ contract: contractId, month });
  if (allLines) q.set('all_lines', '1');
  return `${STATEMENT_ROUTE}?${q.toString()}`;
}

/** The arguments of a `GET /statement` request, or the 400 message. */
export function parseStatementQuery(params: URLSearchParams): { contractId: string; month: string; allLines: boolean } | { error: string } {
  const contractId = params.get('contract') ?? '';
  const month = params.get('month') ?? '';
  const all = params.get('all_lines') ?? '0';
  if (contractId === '') return { error: 'contract: expected a contract id (?contract=…&month=YYYY-MM)' };
  if (!isMonth(month)) return { error: `month: expected a month YYYY-MM (got ${JSON.stringify(month)})` };
  if (!['0', '1', 'true', 'false'].includes(all)) return { error: `all_lines: expected 1 or 0 (got ${JSON.stringify(all)})` };
  return { contractId, month, allLines: all === '1' || all === 'true' };
}

/** A number `JSON.stringify` prints with exactly these digits, else the digits as a string. */
function plain(text: string): number | string {
  const n = Number(text);
  return Number.isFinite(n) && JSON.stringify(n) === text ? n : text;
}

function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return plain(v.toString());
  if (v instanceof JsonNumber) return plain(v.text);
  if (Array.isArray(v)) return v.map(plainValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainValue(x)]));
  return v;
}

/**
 * The statement's JSON document (`statementJson`) as plain JSON values: `JSON.stringify` of it is
 * `statementJsonText`'s text whenever every number fits a double exactly; a number that does not
 * is a string with every digit.
 */
export function statementWire(s: Statement): unknown {
  return plainValue(statementJson(s));
}

/** An exact integer from a JSON number or digit string. */
function int(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if ((typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v))) return BigInt(v);
  throw new TypeError(`statement document: ${what} is not an integer (${String(v)})`);
}

/** A 4-decimal quantity from a JSON number, a decimal string or a JsonNumber. */
function qty(v: unknown, what: string): string {
  const text = v instanceof JsonNumber ? v.text : typeof v === 'number' && Number.isFinite(v) ? JSON.stringify(v) : typeof v === 'string' ? v : null;
  if (text === null || !/^-?\d+(\.\d+)?$/.test(text)) throw new TypeError(`statement document: ${what} is not a decimal (${String(v)})`);
  return Decimal.fromDecimalString(text).toFixed(4);
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new TypeError(`statement document: ${what} is not a string`);
  return v;
}

const strOrNull = (v: unknown, what: string): string | null => (v === null ? null : str(v, what));

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`statement document: ${what} is not true or false`);
  return v;
}

function list(v: unknown, what: string): Array<Record<string, unknown>> {
  if (!Array.isArray(v)) throw new TypeError(`statement document: ${what} is not a list`);
  return v as Array<Record<string, unknown>>;
}

/**
 * The Statement a JSON document stands for (`statementWire` or `statementJson`, parsed): the
 * inverse of both. The lines left out as zero are the totals' lines that the document does not list.
 */
export function statementFromDocument(doc: unknown): Statement {
  if (doc === null || typeof doc !== 'object') throw new TypeError('statement document: not an object');
  const d = doc as Record<string, unknown>;
  const lines: StatementLine[] = list(d.lines, 'lines').map((l, i) => ({
    date: str(l.date, `lines[${i}].date`),
    line_type: str(l.line_type, `lines[${i}].line_type`),
    channel: strOrNull(l.channel, `lines[${i}].channel`),
    quantity: qty(l.quantity, `lines[${i}].quantity`),
    amount_cents: int(l.amount_cents, `lines[${i}].amount_cents`),
    status: str(l.status, `lines[${i}].status`),
  }));
  const totals: StatementTotal[] = list(d.totals, 'totals').map((t, i) => ({
    line_type: str(t.line_type, `totals[${i}].line_type`),
    channel: strOrNull(t.channel, `totals[${i}].channel`),
    quantity: qty(t.quantity, `totals[${i}].quantity`),
    amount_cents: int(t.amount_cents, `totals[${i}].amount_cents`),
    lines: Number(int(t.lines, `totals[${i}].lines`)),
    final: bool(t.final, `totals[${i}].final`),
  }));
  const adjustments = (key: 'adjustments' | 'later_adjustments'): StatementAdjustment[] =>
    list(d[key], key).map((a, i) => ({
      booked_on: str(a.booked_on, `${key}[${i}].booked_on`),
      service_date: str(a.service_date, `${key}[${i}].service_date`),
      line_type: str(a.line_type, `${key}[${i}].line_type`),
      channel: strOrNull(a.channel, `${key}[${i}].channel`),
      quantity_delta: qty(a.quantity_delta, `${key}[${i}].quantity_delta`),
      amount_delta_cents: int(a.amount_delta_cents, `${key}[${i}].amount_delta_cents`),
      cause: str(a.cause, `${key}[${i}].cause`),
      refers_to: str(a.refers_to, `${key}[${i}].refers_to`),
      evidence: JSON.stringify(a.evidence),
      status: str(a.status, `${key}[${i}].status`),
    }));
  return {
    contract_id: str(d.contract_id, 'contract_id'),
    provider_id: strOrNull(d.provider_id, 'provider_id'),
    currency: strOrNull(d.currency, 'currency'),
    month: str(d.month, 'month'),
    final: bool(d.final, 'final'),
    closed: bool(d.closed, 'closed'),
    lines,
    totals,
    total_cents: int(d.total_cents, 'total_cents'),
    provisional_cents: int(d.provisional_cents, 'provisional_cents'),
    zero_lines_omitted: totals.reduce((n, t) => n + t.lines, 0) - lines.length,
    adjustments: adjustments('adjustments'),
    later_adjustments: adjustments('later_adjustments'),
    service_month_cents: int(d.service_month_cents, 'service_month_cents'),
    booking_month_cents: int(d.booking_month_cents, 'booking_month_cents'),
  };
}
