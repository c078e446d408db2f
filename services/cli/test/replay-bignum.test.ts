/**
 * `cxg replay --json` and `cxg statement --format json` with big numbers, run as a user runs them
 * (embedded ClickHouse, no Kafka): quantities and amounts past 2^53 and a quantity past 2^63 are
 * printed with every digit, ordinary lines exactly as before; an amount beyond the signed 64-bit
 * range of cents is one line on stderr and exit 2, with no stack trace.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cxgBin = fileURLToPath(new URL('../bin/cxg.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cxg-replay-bignum-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // CLICKHOUSE_URL elsewhere, so the replay's own target is never taken for the worker's
  const child = spawn(process.execPath, [cxgBin, ...args], { env: { ...process.env, CLICKHOUSE_URL: `chdb://${join(dir, 'worker')}` }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

const CONFIG = `
timezone: UTC
contracts:
  - id: k-big
    provider_id: pb
    valid_from: 2026-05-01
    valid_to: 2026-05-31
    transactional: {per_contact_cents: {PHONE: 420}}
    upsell: {commission_pct: 5}
`;
const OVER = `${CONFIG}
  - id: k-over
    provider_id: po
    valid_from: 2026-05-01
    valid_to: 2026-05-31
    upsell: {commission_pct: 100}
`;

let n = 0;
const contact = (provider: string, date: string, sale: number) => {
  const ended = Date.parse(`${date}T10:00:00Z`) + n;
  n++;
  return JSON.stringify({
    topic: 'cx.contacts.v1',
    value: {
      event_id: `bn-e${n}`, contact_id: `bn-c${n}`, customer_id: `bn-u${n}`, provider_id: provider, agent_id: null, channel: 'PHONE', queue: 'q',
      intent: 'billing.invoice', started_at: ended - 70_000, answered_at: ended - 60_000, ended_at: ended, outcome: 'RESOLVED', csat: null, sale_cents: sale,
    },
  });
};
const MAX = Number.MAX_SAFE_INTEGER; // the largest sale_cents one record may carry
const times = (k: number, f: () => string) => Array.from({ length: k }, f);

// 05-04: 3 contacts, Σ sale_cents = 120 000 000 000 007 ≥ 10^14; 05-05: 25 × (2^53 − 1), 5 % passes 2^53;
// 05-06: 1100 × (2^53 − 1) passes 2^63; 05-07: one ordinary contact, the watermark's day.
const big = [
  contact('pb', '2026-05-04', 40_000_000_000_000),
  contact('pb', '2026-05-04', 40_000_000_000_003),
  contact('pb', '2026-05-04', 40_000_000_000_004),
  ...times(25, () => contact('pb', '2026-05-05', MAX)),
  ...times(1100, () => contact('pb', '2026-05-06', MAX)),
  contact('pb', '2026-05-07', 1000),
];

describe('cxg replay and cxg statement with big numbers', () => {
  const ch = `chdb://${join(dir, 'replay')}`;

  it('replay --json prints quantities and amounts with every digit, ordinary lines as before', async () => {
    const events = write('big.ndjson', big.join('\n') + '\n');
    const { code, stdout, stderr } = await run(['replay', '--events', events, '--config', write('big.yaml', CONFIG), '--clickhouse', ch, '--json']);
    expect(code, stderr).toBe(0);
    const upsell = (date: string, q: string, cents: string) =>
      `{"contract_id":"k-big","provider_id":"pb","date":"${date}","line_type":"upsell_commission","channel":null,"quantity":${q},"amount_cents":${cents},"status":"final"}`;
    expect(stdout).toContain(upsell('2026-05-04', '120000000000007', '6000000000000'));
    expect(stdout).toContain(upsell('2026-05-05', '225179981368524775', '11258999068426239')); // 11 258 999 068 426 238.75, > 2^53
    expect(stdout).toContain(upsell('2026-05-06', '9907919180215090100', '495395959010754505')); // Σ > 2^63
    // an ordinary line keeps its shape: integers and decimals as JSON numbers
    expect(stdout).toContain('{"contract_id":"k-big","provider_id":"pb","date":"2026-05-06","line_type":"contact_fee","channel":"PHONE","quantity":1100,"amount_cents":462000,"status":"final"}');
    expect(stdout).toContain('{"contract_id":"k-big","provider_id":"pb","date":"2026-05-07","line_type":"upsell_commission","channel":null,"quantity":1000,"amount_cents":50,"status":"provisional"}');
    const doc = JSON.parse(stdout) as { accruals: unknown[]; monthly_kpis: Array<{ answered: number }> };
    expect(doc.accruals).toHaveLength(8);
    expect(doc.monthly_kpis[0]).toMatchObject({ answered: 1129 });
  }, 120_000);

  it('statement --format json prints the month with every digit', async () => {
    const { code, stdout, stderr } = await run(['statement', '--clickhouse', ch, '--contract', 'k-big', '--month', '2026-05', '--format', 'json']);
    expect(code, stderr).toBe(0);
    // upsell 6 000 000 000 000 + 11 258 999 068 426 239 + 495 395 959 010 754 505 + 50, fees 1129 × 420; pb's first record is on 05-04, so its ledger starts there (lines of 05-04..05-07)
    expect(stdout).toContain('"total_cents":506660958079654974,');
    expect(stdout).toContain('{"line_type":"upsell_commission","channel":null,"quantity":10133219161583615882,"amount_cents":506660958079180794,"lines":4,"final":false}');
    expect(stdout).toContain('{"date":"2026-05-05","line_type":"upsell_commission","channel":null,"quantity":225179981368524775,"amount_cents":11258999068426239,"status":"final"}');
  }, 60_000);

  it('exits 2 with one line naming contract, day and line when an amount passes the signed 64-bit range of cents', async () => {
    const events = write('over.ndjson', [...big, ...times(1100, () => contact('po', '2026-05-06', MAX))].join('\n') + '\n');
    const { code, stdout, stderr } = await run(['replay', '--events', events, '--config', write('over.yaml', OVER), '--clickhouse', ch, '--json']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'cxg replay: contract k-over, day 2026-05-06, line upsell_commission: amount 9907919180215090100 cents is beyond the signed 64-bit range of cents (±9223372036854775807)\n',
    );
  }, 120_000);
});
