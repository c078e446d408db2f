import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createClient, type ClickHouseClient } from '@clickhouse/client';

const require = createRequire(import.meta.url);

/**
 * `http(s)://user:pass@host:port/db` reaches a ClickHouse server; `chdb://<dir>` runs ClickHouse
 * embedded in this process through chdb (only one process may own a chdb directory).
 */
export function createClickHouse(url: string): ClickHouseClient {
  // Money is Int64 and counts UInt64: quote 64-bit integers so JSON never rounds them.
  const clickhouse_settings = { output_format_json_quote_64bit_integers: 1 } as const;
  if (url.startsWith('chdb://')) {
    const path = decodeURIComponent(url.slice('chdb://'.length)) || ':memory:';
    if (path !== ':memory:') mkdirSync(path, { recursive: true });
    // chdb/connection is CommonJS and optional at runtime for users of a server.
    const { createChdbConnection } = require('chdb/connection') as typeof import('chdb/connection');
    return createClient({ connection: createChdbConnection({ path }) as never, clickhouse_settings });
  }
  if (!/^https?:\/\//.test(url)) throw new Error(`CLICKHOUSE_URL: expected http(s)://… or chdb://<dir> (got ${url})`);
  return createClient({ url, clickhouse_settings });
}
