/**
 * `cxg replay` and `cxg evidence` with CX_PSEUDONYM_KEY (docs/security.md), run as a user runs them:
 * the replay's signals carry pseudonyms and keep their ids, everything else of the result (accruals,
 * KPIs, rejects) is what it is without the key; a replay of already pseudonymised input gives the
 * same result again; evidence finds a customer by raw id with the key and by pseudonym without it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createPseudonymizer, isPseudonym } from '@cxg/platform';

const cxgBin = fileURLToPath(new URL('../bin/cxg.js', import.meta.url));
const examples = fileURLToPath(new URL('../../../docs/examples/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cxg-pseudonym-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = 'cli-test-pseudonym-key-'.padEnd(44, '0');
const p = createPseudonymizer(KEY)!;
const config = join(examples, 'contracts.yaml');
const inputs = ['timeline.ndjson', 'month.ndjson', 'rejects.ndjson'].map((f) => join(examples, f));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CX_PSEUDONYM_KEY')));
  const child = spawn(process.execPath, [cxgBin, ...args], { env: { ...base, CLICKHOUSE_URL: `chdb://${join(dir, 'worker')}`, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

interface Doc {
  signals: Array<Record<string, unknown> & { customer_id: string; contact_event_id: string }>;
  accruals: unknown[];
  monthly_kpis: unknown[];
  rejected: unknown[];
  duplicates: number;
}

async function replay(target: string, events: string[], env: Record<string, string> = {}): Promise<Doc> {
  const r = await run(['replay', '--events', ...events, '--config', config, '--clickhouse', `chdb://${join(dir, target)}`, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Doc;
}

describe('cxg replay and evidence with CX_PSEUDONYM_KEY', () => {
  let keyed: Doc;

  it('replay: signals carry the pseudonyms, with the same signals otherwise; accruals, KPIs and rejects unchanged', async () => {
    const plain = await replay('plain', inputs);
    keyed = await replay('keyed', inputs, { CX_PSEUDONYM_KEY: KEY });
    expect(plain.signals.length).toBeGreaterThan(3);
    expect(keyed.signals.map((s) => s.contact_event_id)).toEqual(plain.signals.map((s) => s.contact_event_id));
    for (const s of keyed.signals) expect(isPseudonym(s.customer_id), s.customer_id).toBe(true);
    expect(keyed.signals).toEqual(plain.signals.map((s) => ({ ...s, customer_id: p.pseudonym(s.customer_id) })));
    expect(keyed.accruals).toEqual(plain.accruals);
    expect(keyed.monthly_kpis).toEqual(plain.monthly_kpis);
    // empty and over-long customer ids are rejected for the same reason with the key
    expect(keyed.rejected).toEqual(plain.rejected);
    expect(keyed.duplicates).toBe(plain.duplicates);
    expect(JSON.stringify(keyed)).not.toMatch(/"cust-[0-9]+"/);
  }, 120_000);

  it('replay of already pseudonymised input gives the same result again (pseudonyms are left alone)', async () => {
    const once = join(dir, 'pseudonymised.ndjson');
    const lines = readFileSync(join(examples, 'timeline.ndjson'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    writeFileSync(once, lines.map((l) => {
      const r = JSON.parse(l) as { value: { customer_id?: unknown } };
      if (typeof r.value.customer_id === 'string') r.value.customer_id = p.pseudonym(r.value.customer_id);
      return JSON.stringify(r);
    }).join('\n') + '\n');
    const direct = await replay('direct', [join(examples, 'timeline.ndjson')], { CX_PSEUDONYM_KEY: KEY });
    expect(await replay('twice', [once], { CX_PSEUDONYM_KEY: KEY })).toEqual(direct);
    expect(await replay('twice-nokey', [once])).toEqual(direct);
  }, 120_000);

  it('evidence --customer: a raw id with the key, a pseudonym without it; a raw id without the key finds nothing', async () => {
    const args = ['evidence', '--clickhouse', `chdb://${join(dir, 'keyed')}`, '--config', config, '--contract', 'c-prov-a-2026', '--date', '2026-11-03', '--line', 'gainshare_repeat', '--json'];
    type Ev = { customer?: { id: string; looked_up_as: string }; sections: Array<{ total: number; rows: Array<{ customer_id: string }> }> };
    const withKey = await run([...args, '--customer', 'cust-1'], { CX_PSEUDONYM_KEY: KEY });
    expect(withKey.code, withKey.stderr).toBe(0);
    const ev = JSON.parse(withKey.stdout) as Ev;
    expect(ev.customer).toEqual({ id: 'cust-1', looked_up_as: p.pseudonym('cust-1'), key_version: 1 });
    expect(ev.sections[0]!.total).toBeGreaterThan(0);
    for (const s of ev.sections) for (const r of s.rows) expect(r.customer_id).toBe(p.pseudonym('cust-1'));

    const byPseudonym = await run([...args, '--customer', p.pseudonym('cust-1')]);
    expect(byPseudonym.code, byPseudonym.stderr).toBe(0);
    expect((JSON.parse(byPseudonym.stdout) as Ev).sections).toEqual(ev.sections);

    const rawNoKey = await run([...args, '--customer', 'cust-1']);
    expect(rawNoKey.code, rawNoKey.stderr).toBe(0);
    expect(rawNoKey.stderr).toContain('CX_PSEUDONYM_KEY is not set');
    expect((JSON.parse(rawNoKey.stdout) as Ev).sections.map((s) => s.total)).toEqual(ev.sections.map(() => 0));
  }, 120_000);

  it('pseudonym prints the pseudonyms of raw ids with the key and refuses without it; a bad key is exit 2 without its value', async () => {
    const ok = await run(['pseudonym', 'cust-1', p.pseudonym('cust-2')], { CX_PSEUDONYM_KEY: KEY });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`cust-1\t${p.pseudonym('cust-1')}\n${p.pseudonym('cust-2')}\t${p.pseudonym('cust-2')}\n`);
    const none = await run(['pseudonym', 'cust-1']);
    expect(none.code).toBe(2);
    const bad = await run(['replay', '--events', inputs[0]!, '--config', config, '--clickhouse', `chdb://${join(dir, 'bad')}`], { CX_PSEUDONYM_KEY: 'hunter2-short' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^cxg replay: CX_PSEUDONYM_KEY: the secret is shorter than 32 bytes/);
    expect(bad.stderr + bad.stdout).not.toContain('hunter2');
  }, 60_000);
});
