import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

/**
 * Applies numbered `NNNN_name.sql` files in order, once each, recording them in `schema_migrations`.
 * A file may hold several statements separated by `;` at line ends. Re-running applies nothing new.
 */
export async function migrate(client: ClickHouseClient, dir: string): Promise<string[]> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime64(3) DEFAULT now64(3))
            ENGINE = ReplacingMergeTree ORDER BY name`,
  });
  const rows = await (await client.query({ query: 'SELECT name FROM schema_migrations FINAL', format: 'JSONEachRow' })).json<{ name: string }>();
  const done = new Set(rows.map((r) => r.name));
  const files = readdirSync(dir).filter((f) => MIGRATION_FILE.test(f)).sort();
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file)) continue;
    const statements = readFileSync(join(dir, file), 'utf8')
      .split(/;\s*$/m)
      .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
      .filter(Boolean);
    for (const query of statements) {
      try {
        await client.command({ query });
      } catch (err) {
        throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    await client.insert({ table: 'schema_migrations', values: [{ name: file }], format: 'JSONEachRow' });
    applied.push(file);
  }
  return applied;
}
