/**
 * `cxg demo` as a new user runs it, output piped (a log file, CI): no colour codes, and it ends with
 * one screen per contract and month (total, final or provisional, top line types, the quality gates
 * of a closed month) and the exact `cxg statement` command for each full statement, whose total
 * is the summary's. Above it, the summary's lines from statements made up here.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildStatement, type StoredLine } from '@cxg/ledger';
import { gateOutcome, monthSummary, topLineTypes } from '../src/statement/summary.ts';

const cxgBin = fileURLToPath(new URL('../bin/cxg.js', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const exec = promisify(execFile);
const { FORCE_COLOR: _f, NO_COLOR: _n, ...plainEnv } = process.env;
/** `cxg <args>` from the repository root, stdout piped; a terminal type that would make @colors/colors colour. */
const cxg = (args: string[]) => exec(process.execPath, [cxgBin, ...args], { cwd: repo, env: { ...plainEnv, TERM: 'xterm-256color' }, maxBuffer: 64 * 1024 * 1024 });

const line = (date: string, line_type: string, cents: number, extra: Partial<StoredLine> = {}): StoredLine => ({
  accrual_id: `k:${date}:${line_type}:-`,
  contract_id: 'k',
  provider_id: 'p',
  date,
  line_type,
  channel: null,
  quantity: '1.0000',
  amount_cents: BigInt(cents),
  currency: 'EUR',
  status: 'final',
  basis: '{}',
  version: '1',
  ...extra,
});

describe('the demo summary of a statement', () => {
  const failedGate = JSON.stringify({ passed: false, gates: [{ kpi: 'csat_top2', min: '0.75', value: '0.701200', passed: false }, { kpi: 'abandon_rate', max: '0.1', value: '0.05', passed: true }] });
  const closed = [
    line('2026-10-01', 'contact_fee', 120_00, { channel: 'PHONE' }),
    line('2026-10-01', 'contact_fee', 30_00, { channel: 'CHAT' }),
    line('2026-10-01', 'minute_fee', 90_00),
    line('2026-10-01', 'gainshare_repeat', -200_00),
    line('2026-10-01', 'upsell_commission', 5_00),
    line('2026-10-31', 'gainshare_quality_gate', 0, { basis: failedGate, quantity: '0.0000' }),
    line('2026-10-31', 'customer_fee_malus', -10_00, { basis: JSON.stringify({ passed: true, gates: [] }) }),
  ];

  it('a closed month: state, total, the top 3 line types by |amount| (channels summed), each gate with the KPIs that failed it', () => {
    const s = buildStatement('k', '2026-10', closed);
    expect(topLineTypes(s).map((t) => `${t.line_type} ${t.amount_cents}`)).toEqual(['gainshare_repeat -20000', 'contact_fee 15000', 'minute_fee 9000']);
    expect(monthSummary(s, closed)).toEqual([
      '2026-10  final, closed      total 35.00 EUR',
      '         top: gainshare_repeat -200.00, contact_fee 150.00, minute_fee 90.00',
      '         gates: quality gate FAILED (csat_top2 0.701200 < min 0.75), malus gate passed',
    ]);
    expect(gateOutcome('gainshare_quality_gate', JSON.stringify({ passed: false, gates: [{ kpi: 'abandon_rate', max: '0.1', value: '0.2', passed: false }] }))).toBe(
      'quality gate FAILED (abandon_rate 0.2 > max 0.1)',
    );
    expect(gateOutcome('contact_fee', '{}')).toBeNull();
  });

  it('an open month: provisional, how much is not final yet, gates to come', () => {
    const open = [line('2026-11-01', 'contact_fee', 100_00), line('2026-11-02', 'contact_fee', 25_50, { status: 'provisional' })];
    expect(monthSummary(buildStatement('k', '2026-11', open), open)).toEqual([
      '2026-11  provisional, open  total 125.50 EUR, of it 25.50 not final yet',
      '         top: contact_fee 125.50',
      '         gates: decided when the month closes',
    ]);
  });
});

describe('cxg demo, piped', () => {
  it('prints no ANSI escape and ends with a one-screen summary whose statements are one command away', async () => {
    const { stdout } = await cxg(['demo']);
    expect(stdout).not.toContain('\x1b[');
    const at = stdout.lastIndexOf('\nSummary of the ledger chdb://.cxg/demo/clickhouse');
    expect(at, stdout.slice(-2000)).toBeGreaterThan(0);
    // the summary follows the replay step's own output and nothing else does
    expect(stdout.lastIndexOf('\n$ cxg ')).toBeLessThan(at);
    expect(stdout.slice(0, at)).toContain('\n$ cxg replay ');
    expect(stdout).not.toContain('Statement c-prov-');
    const summary = stdout.slice(at + 1).trimEnd().split('\n');
    expect(summary.length).toBeLessThan(60);
    expect(summary.at(-1)).toBe('Events: .cxg/demo/events.ndjson');

    const commands = summary.filter((l) => l.startsWith('  cxg statement ')).map((l) => l.trim().split(' ').slice(1));
    expect(commands.map((c) => `${c[4]} ${c[6]}`)).toEqual(['c-prov-a-2026 2026-10', 'c-prov-a-2026 2026-11', 'c-prov-b-2026 2026-10', 'c-prov-b-2026 2026-11', 'c-prov-c-2026-11 2026-11']);
    // c-prov-a-2026's October: closed, its gates named; its full statement has the summary's total
    const a = summary.indexOf('c-prov-a-2026 (prov-a), EUR');
    expect(summary[a + 1]).toMatch(/^ {2}2026-10 {2}final, closed +total \d+\.\d\d EUR$/);
    expect(summary[a + 2]).toMatch(/^ {11}top: \w+ -?\d+\.\d\d, \w+ -?\d+\.\d\d, \w+ -?\d+\.\d\d$/);
    expect(summary[a + 3]).toMatch(/^ {11}gates: quality gate (passed|FAILED.*), malus gate (passed|FAILED.*)$/);
    expect(summary[a + 4]).toMatch(/^ {2}2026-11 {2}provisional, open/);
    const full = JSON.parse((await cxg([...commands[0]!, '--json'])).stdout) as { total_cents: number; final: boolean; closed: boolean };
    expect(full).toMatchObject({ final: true, closed: true });
    expect(summary[a + 1]).toContain(` total ${(full.total_cents / 100).toFixed(2)} EUR`);
  }, 120_000);
});
