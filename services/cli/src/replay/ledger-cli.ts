/** What the finance commands (statement, rerate, evidence) share: arguments, the ledger. */
import { InvalidArgumentError } from 'commander';
import { isValidDate, type Contract, type ContractsConfig } from '@cxg/engine';
import { loadContractsConfig, readEndpoints } from '@cxg/platform';
import { closeLedger, isMonth, openLedger, type ClickHouseClient } from '@cxg/ledger';
import { CliError } from '../errors.ts';

export const CLICKHOUSE_HELP = 'ClickHouse holding the ledger (chdb://<dir> or http(s)://user:pass@host:port/db); the default is CLICKHOUSE_URL';

export function dateArg(raw: string): string {
  if (!isValidDate(raw)) throw new InvalidArgumentError('expected a calendar date YYYY-MM-DD');
  return raw;
}

export function monthArg(raw: string): string {
  if (!isMonth(raw)) throw new InvalidArgumentError('expected a month YYYY-MM');
  return raw;
}

export function positiveIntArg(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function defaultClickHouse(): string {
  return readEndpoints().clickhouseUrl;
}

export function loadConfig(file: string | undefined): ContractsConfig {
  return loadContractsConfig(file ?? readEndpoints().configFile);
}

export function findContract(config: ContractsConfig, id: string): Contract {
  const c = config.contracts.find((k) => k.id === id);
  if (!c) throw new CliError(`no contract ${id} in ${config.file} (contracts: ${config.contracts.map((k) => k.id).join(', ') || 'none'})`, 2);
  return c;
}

/** Runs `fn` with the ledger open and closes it after, also when `fn` throws (main.ts reports the error). */
export async function withLedger<T>(url: string, fn: (client: ClickHouseClient) => Promise<T>): Promise<T> {
  const client = await openLedger(url);
  try {
    return await fn(client);
  } finally {
    await closeLedger(client, url);
  }
}
