/**
 * ClickHouse plumbing shared by the worker and the CLI: opening (and migrating) the database,
 * value conversions, and the chdb "directory in use" error in words an operator can act on.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { readFileSync, statSync } from 'node:fs';
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

  constructor(
    message: string,
    options: ErrorOptions & { pid?: number | null } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.pid = options.pid ?? null;
  }

  /** The process holding the directory, when known. */
  readonly pid: number | null;
}

/**
 * The process that holds the chdb directory `dir`, or null when none does (or it cannot be told).
 * chdb takes an exclusive flock on `<dir>/status` and writes its PID there; on Linux
 * /proc/locks lists that lock (`FLOCK ADVISORY WRITE <pid> <major>:<minor>:<inode> …`). Asking
 * first spares the caller chdb's own failure, which also prints a native line on stderr.
 */
export function chdbHolder(dir: string): number | null {
  let ino: number;
  let dev: string;
  let statusPid: number | null;
  let locks: string;
  try {
    const st = statSync(join(dir, 'status'));
    ino = st.ino;
    dev = `${((st.dev >> 8) & 0xfff).toString(16).padStart(2, '0')}:${((st.dev & 0xff) | ((st.dev >> 12) & 0xfff00)).toString(16).padStart(2, '0')}`;
    const m = /^PID: (\d+)$/m.exec(readFileSync(join(dir, 'status'), 'utf8'));
    statusPid = m ? Number(m[1]) : null;
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return null;
  }
  for (const line of locks.split('\n')) {
    const f = line.trim().split(/\s+/);
    // `1: FLOCK ADVISORY WRITE 7396 fe:00:2146769 0 EOF`
    if (f[1] !== 'FLOCK' || f[3] !== 'WRITE') continue;
    const pid = Number(f[4]);
    const at = f[5]?.split(':') ?? [];
    if (at.length !== 3 || Number(at[2]) !== ino) continue;
    if (`${at[0]}:${at[1]}` === dev || pid === statusPid) return pid === process.pid ? null : pid;
  }
  return null;
}

const inUseMessage = (url: string, pid: number | null) =>
  `cannot open ${url}: the embedded ClickHouse directory is in use by another process${pid === null ? '' : ` (pid ${pid})`} (a running accruals worker?). ` +
  'Stop that process, or point CLICKHOUSE_URL / --clickhouse at a ClickHouse server or another directory.';

/** Opens ClickHouse at `url` and applies the migrations; the caller closes it. */
export async function openLedger(url: string): Promise<ClickHouseClient> {
  const dir = chdbPath(url);
  const holder = dir === null || dir === '' ? null : chdbHolder(dir);
  if (holder !== null) throw new DatabaseInUseError(inUseMessage(url, holder), { pid: holder });
  let client: ClickHouseClient;
  try {
    client = createClickHouse(url);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'CHDB_CONNECTION') throw new DatabaseInUseError(inUseMessage(url, null), { cause: err });
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
