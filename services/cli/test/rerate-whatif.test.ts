/**
 * `cxg rerate --dry-run` and `cxg whatif` run as a user runs them, over a replay's embedded
 * ClickHouse of the docs' example month: a dry run prints exactly the changes the real rerate then
 * makes, and neither it nor whatif writes anything.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cxgBin = fileURLToPath(new URL('../bin/cxg.js', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cxg-rerate-'));
const db = `chdb://${join(dir, 'replay')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cxgBin, ...args], { cwd: repo, env: { ...process.env, CLICKHOUSE_URL: `chdb://${join(dir, 'worker')}` }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const examples = join(repo, 'docs/examples');
const sixPct = join(dir, 'contracts-6pct.yaml');
const statement = async () => (await run(['statement', '--clickhouse', db, '--contract', 'c-prov-a-2026', '--month', '2026-11', '--json'])).stdout;

beforeAll(async () => {
  writeFileSync(sixPct, readFileSync(join(examples, 'contracts.yaml'), 'utf8').replace('commission_pct: 5}', 'commission_pct: 6}'));
  const r = await run(['replay', '--events', join(examples, 'timeline.ndjson'), join(examples, 'month.ndjson'), '--config', join(examples, 'contracts.yaml'), '--clickhouse', db, '--json']);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

describe('rerate --dry-run and whatif', () => {
  it('whatif prints one JSON document with the 6 % commission as the only net difference, and writes nothing', async () => {
    const before = await statement();
    const r = await run(['whatif', '--clickhouse', db, '--config', sixPct, '--from', '2026-11-01', '--to', '2026-11-30', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { difference_cents: number; rows: Array<{ contract_id: string; line_type: string; difference_cents: number }> };
    // 4 480 × 6 % = 268.8 → 269 against 224
    expect(doc.rows.find((x) => x.contract_id === 'c-prov-a-2026' && x.line_type === 'upsell_commission')?.difference_cents).toBe(45);
    expect(doc.difference_cents).toBe(45);
    expect(await statement()).toBe(before);
  }, 60_000);

  it('a dry run prints what the rerate then does, and writes nothing', async () => {
    const args = ['rerate', '--clickhouse', db, '--config', sixPct, '--contract', 'c-prov-a-2026', '--from', '2026-11-03', '--to', '2026-11-03', '--json'];
    const before = await statement();
    const dry = await run([...args, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(await statement()).toBe(before);
    const real = await run(args);
    expect(real.code, real.stderr).toBe(0);
    const strip = (t: string) => {
      const { seconds: _s, dry_run: _d, ...rest } = JSON.parse(t) as Record<string, unknown>;
      return rest;
    };
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, delta_cents: 45 });
    expect(strip(dry.stdout)).toEqual(strip(real.stdout));
    expect(await statement()).not.toBe(before);
    // after the rerate, a dry run finds nothing left to change
    expect(JSON.parse((await run([...args, '--dry-run'])).stdout)).toMatchObject({ changed_lines: 0, delta_cents: 0 });
  }, 120_000);
});
