// The migrator against embedded ClickHouse (chdb), the product's default store.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClickHouse } from '../src/clickhouse.ts';
import { migrate } from '../src/migrate.ts';

describe('migrate', () => {
  it('applies numbered files once, in order, and a second run applies nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cxg-mig-'));
    writeFileSync(join(dir, '0002_rows.sql'), "INSERT INTO t VALUES (1, 'a');\nINSERT INTO t VALUES (2, 'b');\n");
    writeFileSync(join(dir, '0001_table.sql'), '-- a table\nCREATE TABLE t (id UInt32, name String) ENGINE = MergeTree ORDER BY id;\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a migration');
    const client = createClickHouse(`chdb://${join(dir, 'db')}`);
    try {
      expect(await migrate(client, dir)).toEqual(['0001_table.sql', '0002_rows.sql']);
      expect(await migrate(client, dir)).toEqual([]);
      const rows = await (await client.query({ query: 'SELECT id, name FROM t ORDER BY id', format: 'JSONEachRow' })).json();
      expect(rows).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
    } finally {
      await client.close();
    }
  });

  it('names the file of a failing statement', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cxg-mig-'));
    writeFileSync(join(dir, '0001_bad.sql'), 'CREATE TABLE nope (;\n');
    const client = createClickHouse(`chdb://${join(dir, 'db')}`);
    try {
      await expect(migrate(client, dir)).rejects.toThrow(/migration 0001_bad\.sql failed/);
    } finally {
      await client.close();
    }
  });
});
