/**
 * ClickHouse plumbing shared by the worker and the CLI: opening (and migrating) the database,
 * value conversions, and the chdb "directory in use" error in words an operator can act on.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { join } from 'node:path';
import { createClickHouse, migrate, REPO_ROOT } from '@cxg/platform';

export type { ClickHouseClient };

const MIGRATIONS_DIR = join(REPO_ROOT, 'infra/clickhouse/migrations');

/** The chdb directory of a `chdb://` URL, else null. */
function chdbPath(url: string): string | null {
  return url.startsWith('chdb://') ? decodeURIComponent(url.slice('chdb://'.length)) : null;
}

/** chdb refuses a directory another process holds; the native message names a lock file. */
export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError';
}

/** Opens ClickHouse at `url` and applies the migrations; the caller closes it. */
export async function openLedger(url: string): Promise<ClickHouseClient> {
  let client: ClickHouseClient;
  try {
    client = createClickHouse(url);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'CHDB_CONNECTION') {
      throw new DatabaseInUseError(
        `cannot open ${url}: the embedded ClickHouse directory is in use by another process (a running accruals worker?). ` +
          'Stop that process, or point CLICKHOUSE_URL / --clickhouse at a ClickHouse server or another directory.',
        { cause: err },
      );
    }
    throw err;
  }
  await migrate(client, MIGRATIONS_DIR);
  return client;
}

/** UTC epoch ms as a DateTime64(3, 'UTC') literal (`2026-11-03 10:05:00.999`), read the same by every server. */
export function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** A 64-bit integer as ClickHouse returns it in JSON (quoted), as a bigint. */
export function big(v: string | number | null | undefined): bigint {
  return v === null || v === undefined ? 0n : BigInt(v);
}

/** A 64-bit count as a number when exact, else a bigint (the engine's Count type). */
export function count(v: string | number | null | undefined): number | bigint {
  const b = big(v);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

export async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** Closes the client; for chdb also waits until the directory is really released, so this process may open another. */
export async function closeLedger(client: ClickHouseClient, url: string): Promise<void> {
  await client.close();
  if (chdbPath(url) !== null) {
    const { drainPending } = await import('chdb');
    await drainPending();
  }
}
