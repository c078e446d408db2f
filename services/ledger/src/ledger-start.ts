/**
 * Where a contract's ledger starts (docs/accruals.md, "Where a ledger starts"): its `ledger_start`
 * when the config names one, else the first local day with an accepted record of its provider, and
 * never before `valid_from`. Days before it are not rated: a ledger books nothing for days in which
 * the pipeline saw nothing of the provider.
 */
import { localDateOf, type Contract } from '@cxg/engine';
import { rows, type ClickHouseClient } from './clickhouse.ts';

/** Per provider, the earliest time of its accepted records: contacts by `ended_at`, customer events by `occurred_at`. */
export type FirstRecords = ReadonlyMap<string, number>;

/** The earliest record time per provider in the stored facts (a re-stored fact has the same times, so no FINAL). */
export async function readFirstRecords(client: ClickHouseClient): Promise<Map<string, number>> {
  const found = await rows<{ provider_id: string; ms: string }>(
    client,
    `SELECT provider_id, toString(min(t)) AS ms FROM (
       SELECT provider_id, toUnixTimestamp64Milli(min(ended_at)) AS t FROM contacts GROUP BY provider_id
       UNION ALL
       SELECT provider_id, toUnixTimestamp64Milli(min(occurred_at)) AS t FROM customer_events GROUP BY provider_id
     ) GROUP BY provider_id`,
  );
  return new Map(found.map((r) => [r.provider_id, Number(r.ms)]));
}

/** Lowers `firsts`' entry for `providerId` to `ms`. */
export function noteRecord(firsts: Map<string, number>, providerId: string, ms: number): void {
  const known = firsts.get(providerId);
  if (known === undefined || ms < known) firsts.set(providerId, ms);
}

/** The first date to rate for `contract`, or null while it has none (no configured start and no record of its provider). */
export function ledgerStartOf(contract: Contract, firsts: FirstRecords): string | null {
  const first = firsts.get(contract.provider_id);
  const start = contract.ledger_start ?? (first === undefined ? null : localDateOf(first, contract.timezone));
  if (start === null) return null;
  return start > contract.valid_from ? start : contract.valid_from;
}

/**
 * The contract as rating sees it: validity narrowed to start at its ledger start. Null when
 * nothing of it is rated yet (no start, or a start after `valid_to`).
 */
export function ratedContract(contract: Contract, firsts: FirstRecords): Contract | null {
  const start = ledgerStartOf(contract, firsts);
  if (start === null || start > contract.valid_to) return null;
  return start === contract.valid_from ? contract : { ...contract, valid_from: start };
}

const STARTED = 'ledger_start:';

/** Per contract id, the ledger start its ledger was last rated from (durable in accrual_state, as YYYYMMDD). */
export async function readRatedStarts(client: ClickHouseClient): Promise<Map<string, string>> {
  const found = await rows<{ name: string; v: string }>(
    client,
    'SELECT name, toString(argMax(value, version)) AS v FROM accrual_state WHERE startsWith(name, {prefix:String}) GROUP BY name',
    { prefix: STARTED },
  );
  return new Map(found.map((r) => [r.name.slice(STARTED.length), `${r.v.slice(0, 4)}-${r.v.slice(4, 6)}-${r.v.slice(6, 8)}`]));
}

export async function saveRatedStarts(client: ClickHouseClient, starts: ReadonlyMap<string, string>, version: bigint): Promise<void> {
  if (starts.size === 0) return;
  await client.insert({
    table: 'accrual_state',
    format: 'JSONEachRow',
    values: [...starts].map(([contractId, date]) => ({ name: `${STARTED}${contractId}`, value: Number(date.replaceAll('-', '')), version: version.toString() })),
  });
}
