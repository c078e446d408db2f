/** The accrual ledger and the durable watermark in ClickHouse: writing lines, reading them back. */
import { Decimal, type AccrualLine, type AccrualStatus } from '@cxg/engine';
import { rows, type ClickHouseClient } from './clickhouse.ts';

export interface LedgerLine extends AccrualLine {
  status: AccrualStatus;
}

/**
 * A ledger line as stored: basis as its JSON text, version as decimal text (UInt64). Amounts are
 * exact bigint cents (Int64 in ClickHouse, read as text), quantities exact 4-decimal text
 * (Decimal(38, 4), read with toString): no value passes through a double.
 */
export interface StoredLine {
  accrual_id: string;
  contract_id: string;
  provider_id: string;
  date: string;
  line_type: string;
  channel: string | null;
  /** exactly 4 decimals, e.g. `12.0000` */
  quantity: string;
  amount_cents: bigint;
  currency: string;
  status: AccrualStatus;
  basis: string;
  version: string;
}

export async function writeLines(client: ClickHouseClient, lines: readonly LedgerLine[], version: bigint): Promise<void> {
  if (lines.length === 0) return;
  const v = version.toString();
  await client.insert({
    table: 'accrual_lines',
    format: 'JSONEachRow',
    values: lines.map((l) => ({
      accrual_id: l.accrual_id,
      contract_id: l.contract_id,
      provider_id: l.provider_id,
      date: l.date,
      line_type: l.line_type,
      channel: l.channel,
      quantity: l.quantity,
      // as text: JSON has no 64-bit integers, and ClickHouse parses the string into Int64 exactly
      amount_cents: l.amount_cents.toString(),
      currency: l.currency,
      status: l.status,
      basis: JSON.stringify(l.basis),
      version: v,
    })),
  });
}

export interface LineFilter {
  contractIds?: readonly string[];
  /** inclusive local dates */
  from?: string;
  to?: string;
  lineTypes?: readonly string[];
}

/** The current ledger (FINAL: one line per accrual_id, the highest version), ordered by contract, date, id. */
export async function readLines(client: ClickHouseClient, filter: LineFilter = {}): Promise<StoredLine[]> {
  const where: string[] = [];
  if (filter.contractIds) where.push('has({contracts:Array(String)}, contract_id)');
  if (filter.from) where.push('date >= toDate({from:String})');
  if (filter.to) where.push('date <= toDate({to:String})');
  if (filter.lineTypes) where.push('has({types:Array(String)}, line_type)');
  // Output aliases must not shadow the columns the WHERE clause compares (ClickHouse resolves aliases first).
  const found = await rows<Omit<StoredLine, 'amount_cents' | 'date' | 'quantity'> & { cents: string; day: string; qty: string }>(
    client,
    `SELECT accrual_id, contract_id, provider_id, toString(date) AS day, line_type, channel,
            toString(quantity) AS qty, toString(amount_cents) AS cents, currency, status, basis, toString(version) AS version
     FROM accrual_lines FINAL
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY contract_id, date, accrual_id`,
    { contracts: filter.contractIds ?? [], from: filter.from ?? '', to: filter.to ?? '', types: filter.lineTypes ?? [] },
  );
  return found.map(({ day, qty, cents, ...r }) => ({
    accrual_id: r.accrual_id,
    contract_id: r.contract_id,
    provider_id: r.provider_id,
    date: day,
    line_type: r.line_type,
    channel: r.channel,
    quantity: Decimal.fromDecimalString(qty).toFixed(4),
    amount_cents: BigInt(cents),
    currency: r.currency,
    status: r.status,
    basis: r.basis,
    version: r.version,
  }));
}

const WATERMARK = 'watermark_ms';

/** The greatest event time of the accepted records processed, or null before the first one. */
export async function readWatermark(client: ClickHouseClient): Promise<number | null> {
  const [r] = await rows<{ v: string; n: string }>(client, 'SELECT argMax(value, version) AS v, count() AS n FROM accrual_state WHERE name = {name:String}', {
    name: WATERMARK,
  });
  return r === undefined || r.n === '0' ? null : Number(r.v);
}

export async function saveWatermark(client: ClickHouseClient, ms: number): Promise<void> {
  await client.insert({ table: 'accrual_state', format: 'JSONEachRow', values: [{ name: WATERMARK, value: ms, version: String(ms) }] });
}

/**
 * Month-to-date amounts per contract and line type, for the `cx_accrual_cents` gauge: exact bigint
 * (summed in Int128, where an Int64 sum could wrap); the gauge itself is a double.
 */
export async function monthToDate(client: ClickHouseClient, months: ReadonlyArray<{ contractId: string; month: string }>): Promise<Array<{ contract_id: string; line_type: string; cents: bigint }>> {
  if (months.length === 0) return [];
  const found = await rows<{ contract_id: string; line_type: string; cents: string }>(
    client,
    `SELECT contract_id, line_type, toString(sum(toInt128(amount_cents))) AS cents FROM accrual_lines FINAL
     WHERE has({keys:Array(String)}, concat(contract_id, '|', substring(toString(date), 1, 7)))
     GROUP BY contract_id, line_type`,
    { keys: months.map((m) => `${m.contractId}|${m.month}`) },
  );
  return found.map((r) => ({ ...r, cents: BigInt(r.cents) }));
}

/** Empties facts, ledger and state: a replay database holds exactly one replay. */
export async function resetDatabase(client: ClickHouseClient): Promise<void> {
  for (const table of ['contacts', 'journeys', 'customer_events', 'signals', 'accrual_lines', 'accrual_adjustments', 'accrual_state', 'config_versions']) {
    await client.command({ query: `TRUNCATE TABLE IF EXISTS ${table}` });
  }
}
