/**
 * Output for tools (issue 13 §2), every command run as a user runs it: each `--json` command prints
 * exactly one JSON document on stdout, its logs (LOG_LEVEL=debug here, so there are many) on
 * stderr; and every command ends quietly, exit 0 and no stack trace, when the reader of its stdout
 * goes away early (`| head -1`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCxg } from './helpers.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const examples = join(repo, 'docs/examples');
const contracts = join(examples, 'contracts.yaml');
const dir = mkdtempSync(join(tmpdir(), 'cxg-json-output-'));
const db = `chdb://${join(dir, 'replay')}`;
// a worker's database of its own, so no command here falls back to the repository's
const env = { CLICKHOUSE_URL: `chdb://${join(dir, 'worker')}`, LOG_LEVEL: 'debug' };
const emptyKpiPrefix = `json-output-${Date.now()}:kpi:`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** stdout is one JSON document and nothing else: JSON.parse refuses anything before or after it. */
function oneDocument(stdout: string): Record<string, unknown> {
  expect(stdout.endsWith('\n'), stdout.slice(0, 300)).toBe(true);
  const doc = JSON.parse(stdout) as unknown;
  expect(typeof doc === 'object' && doc !== null && !Array.isArray(doc)).toBe(true);
  return doc as Record<string, unknown>;
}

/** What an EPIPE ended with before: `Error: write EPIPE` and a stack trace on stderr. */
function quiet(stderr: string): void {
  expect(stderr).not.toContain('EPIPE');
  expect(stderr).not.toMatch(/^\s+at /m);
}

const ledger = ['--clickhouse', db];
const november = ['--contract', 'c-prov-a-2026', '--from', '2026-11-01', '--to', '2026-11-30', '--config', contracts];
const evidence = ['evidence', ...ledger, '--config', contracts, '--contract', 'c-prov-a-2026', '--date', '2026-11-03', '--line', 'contact_fee'];

/** Every command with --json (services/cli/src/commands), in a small real setting; bench below. */
const JSON_COMMANDS: { name: string; args: string[]; code?: number; keys: string[] }[] = [
  { name: 'config check', args: ['config', 'check', contracts], keys: ['ok', 'config_version'] },
  { name: 'config check, invalid file', args: ['config', 'check', join(examples, 'bad-values.yaml')], code: 2, keys: ['ok', 'errors'] },
  { name: 'simulate', args: ['simulate', '--seed', '3', '--customers', '50', '--days', '2', '--out', join(dir, 'sim.ndjson')], keys: ['records', 'output'] },
  { name: 'replay', args: ['replay', '--events', join(examples, 'timeline.ndjson'), '--config', contracts, ...ledger], keys: ['signals', 'accruals'] },
  { name: 'statement', args: ['statement', ...ledger, '--contract', 'c-prov-a-2026', '--month', '2026-11'], keys: ['lines', 'total_cents'] },
  { name: 'rerate --dry-run', args: ['rerate', ...ledger, ...november, '--dry-run'], keys: ['dry_run', 'changes'] },
  { name: 'rerate', args: ['rerate', ...ledger, ...november], keys: ['dry_run', 'changes'] },
  { name: 'whatif', args: ['whatif', ...ledger, '--config', contracts], keys: ['rows', 'difference_cents'] },
  { name: 'evidence', args: evidence, keys: ['lines', 'sections'] },
  { name: 'kpis', args: ['kpis', '--window', 'all', '--prefix', emptyKpiPrefix], keys: ['watermark', 'windows'] },
  { name: 'dlq list', args: ['dlq', 'list', '--since', '1m'], keys: ['topic', 'records'] },
  { name: 'dlq replay --dry-run', args: ['dlq', 'replay', '--reason', 'timestamp_in_future', '--since', '1m', '--dry-run'], keys: ['dry_run', 'sent'] },
  { name: 'topics init', args: ['topics', 'init'], keys: ['existing', 'schemaIds'] },
  { name: 'stack up', args: ['stack', 'up'], keys: ['KAFKA_BROKERS'] },
  { name: 'stack status', args: ['stack', 'status'], keys: ['services'] },
  { name: 'doctor', args: ['doctor'], keys: ['ok', 'checks'] },
];

describe('--json: exactly one JSON document on stdout, logs on stderr', () => {
  for (const c of JSON_COMMANDS) {
    it(`cxg ${c.name} --json`, async () => {
      const r = await runCxg([...c.args, '--json'], { env });
      expect(r.code, r.stderr).toBe(c.code ?? 0);
      const doc = oneDocument(r.stdout);
      for (const key of c.keys) expect(doc).toHaveProperty(key);
    }, 90_000);
  }

  it('cxg bench --json, its smallest run: one part, 200 customers, 1 day (workers and Kafka clients log to stderr)', async () => {
    const r = await runCxg(['bench', '--only', 'detector', '--customers', '200', '--days', '1', '--json'], { env });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const doc = oneDocument(r.stdout) as { id: string; file: string; stages: { id: string }[] };
    expect(doc.stages.map((s) => s.id)).toContain('detector');
    expect(r.stderr).toContain('[bench] ');
    rmSync(doc.file, { force: true });
    rmSync(join(doc.file, '..', doc.id), { recursive: true, force: true });
  }, 240_000);
});

describe('stdout closed early: exit as if read to the end, no stack trace', () => {
  const big = join(dir, 'big');
  beforeAll(async () => {
    // contracts.yaml's customer_fee evidence of one day lists ~2 700 customers: over 64 KiB, more than a pipe holds
    const events = join(dir, 'big.ndjson');
    const sim = await runCxg(['simulate', '--seed', '5', '--customers', '8000', '--days', '2', '--start', '2026-10-01T00:00:00+02:00', '--out', events]);
    expect(sim.code, sim.stderr).toBe(0);
    const replay = await runCxg(['replay', '--events', events, '--config', join(repo, 'config/contracts.yaml'), '--clickhouse', `chdb://${big}`]);
    expect(replay.code, replay.stderr).toBe(0);
  }, 120_000);

  it('| head -1 on a listing longer than the pipe holds: the first line arrives, the rest goes nowhere, exit 0', async () => {
    const args = ['evidence', '--clickhouse', `chdb://${big}`, '--config', join(repo, 'config/contracts.yaml'), '--contract', 'c-prov-a-2026', '--date', '2026-10-01', '--line', 'customer_fee', '--limit', '100000'];
    const whole = await runCxg(args);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdout.length).toBeGreaterThan(2 * 65_536);
    const head = await runCxg(args, { closeStdout: 'after-first-line' });
    expect(head.code, head.stderr).toBe(0);
    quiet(head.stderr);
    expect(whole.stdout.startsWith(head.stdout.split('\n')[0]!)).toBe(true);
    expect(head.stdout.length).toBeLessThan(whole.stdout.length);
  }, 60_000);

  const TABLES: { name: string; args: string[]; code?: number }[] = [
    { name: 'config check', args: ['config', 'check', contracts] },
    { name: 'config check, invalid file (its report is on stderr)', args: ['config', 'check', join(examples, 'bad-values.yaml')], code: 2 },
    { name: 'replay', args: ['replay', '--events', join(examples, 'timeline.ndjson'), '--config', contracts, '--clickhouse', `chdb://${join(dir, 'replay-table')}`] },
    { name: 'replay --json', args: ['replay', '--events', join(examples, 'timeline.ndjson'), '--config', contracts, '--clickhouse', `chdb://${join(dir, 'replay-json')}`, '--json'] },
    { name: 'statement', args: ['statement', ...ledger, '--contract', 'c-prov-a-2026', '--month', '2026-11'] },
    { name: 'statement --format csv', args: ['statement', ...ledger, '--contract', 'c-prov-a-2026', '--month', '2026-11', '--format', 'csv'] },
    { name: 'rerate --dry-run', args: ['rerate', ...ledger, ...november, '--dry-run'] },
    { name: 'whatif', args: ['whatif', ...ledger, '--config', contracts] },
    { name: 'evidence', args: evidence },
    { name: 'kpis', args: ['kpis', '--prefix', emptyKpiPrefix] },
    { name: 'dlq list', args: ['dlq', 'list', '--since', '1m'] },
    { name: 'stack status', args: ['stack', 'status'] },
    { name: 'stack up', args: ['stack', 'up'] },
    { name: 'simulate', args: ['simulate', '--customers', '20', '--days', '1', '--out', join(dir, 'small.ndjson')] },
    { name: '--help', args: ['--help'] },
  ];
  for (const c of TABLES) {
    it(`cxg ${c.name}, stdout closed before it writes`, async () => {
      expect(existsSync(db.slice('chdb://'.length)), 'the --json tests above made the replay ledger').toBe(true);
      const r = await runCxg(c.args, { env: { CLICKHOUSE_URL: env.CLICKHOUSE_URL }, closeStdout: 'at-once' });
      expect(r.code, r.stderr).toBe(c.code ?? 0);
      quiet(r.stderr);
    }, 60_000);
  }
});
