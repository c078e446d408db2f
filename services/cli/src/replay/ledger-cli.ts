/** What the finance commands (statement, rerate, evidence) share: arguments, the ledger, errors. */
import { InvalidArgumentError } from 'commander';
import { ConfigError, isValidDate, type Contract, type ContractsConfig } from '@cxg/engine';
import { loadContractsConfig, readEndpoints } from '@cxg/platform';
import { DatabaseInUseError, closeLedger, isMonth, openLedger, type ClickHouseClient } from '@cxg/ledger';

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

/** A usage problem the user can fix: printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function defaultClickHouse(): string {
  return readEndpoints().clickhouseUrl;
}

export function loadConfig(file: string | undefined): ContractsConfig {
  return loadContractsConfig(file ?? readEndpoints().configFile);
}

export function findContract(config: ContractsConfig, id: string): Contract {
  const c = config.contracts.find((k) => k.id === id);
  if (!c) throw new UsageError(`no contract ${id} in ${config.file} (contracts: ${config.contracts.map((k) => k.id).join(', ') || 'none'})`);
  return c;
}

/** Runs `fn` with the ledger open, closing it after; known failures become one line on stderr and exit 2. */
export async function withLedger<T>(command: string, url: string, fn: (client: ClickHouseClient) => Promise<T>): Promise<T> {
  let client: ClickHouseClient | null = null;
  try {
    client = await openLedger(url);
    return await fn(client);
  } catch (err) {
    if (err instanceof DatabaseInUseError || err instanceof UsageError || err instanceof ConfigError || err instanceof RangeError) {
      process.stderr.write(`cxg ${command}: ${err.message.split('\n').join('; ')}\n`);
      process.exit(2);
    }
    throw err;
  } finally {
    if (client) await closeLedger(client, url);
  }
}

/** Config errors before the ledger is opened: one line, exit 2. */
export function orExit<T>(command: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`cxg ${command}: ${err.message.split('\n').join('; ')}\n`);
      process.exit(2);
    }
    throw err;
  }
}
