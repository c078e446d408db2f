/**
 * whatIf on a real embedded ClickHouse: the stored facts rated under a proposal, compared with
 * the booked ledger per contract, month and line type, gates from the close lines; the ledger is
 * only read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, type InputEvent, type InputTopic } from '@cxg/engine';
import { insertFacts, insertSignals } from '../src/facts.ts';
import { readLines } from '../src/ledger.ts';
import { rateRange } from '../src/rating.ts';
import { compareLines, whatIf, whatIfCsv, whatIfText } from '../src/whatif.ts';
import { config, contact, signal, tempLedger, utc } from '../src/testing.ts';

const terms = (share: string, csatMin: string, upsell: boolean) => `
timezone: Europe/Berlin
contracts:
  - id: k-a
    provider_id: pa
    valid_from: 2026-03-01
    valid_to: 2026-12-31
    scope: {intent_families: [billing]}
    transactional: {per_contact_cents: {PHONE: 420}}
    gainshare:
      cost_per_contact_cents: 650
      baseline: {repeat_rate: 0.5, switch_rate: 0.35}
      provider_share: ${share}
      quality_gate: [{kpi: csat_top2, min: ${csatMin}}]
${upsell ? '    upsell: {commission_pct: 5}\n' : ''}`;
const actual = config(terms('0.40', '0.60', true));

const facts: Array<{ topic: InputTopic; event: InputEvent; source: string }> = [];
// pa: 4 PHONE contacts on 03-10, csat 5, 5, 4, 2 (top-2 = 3/4 = 0.75), one sale of 1000; one repeat.
for (const [i, csat] of [5, 5, 4, 2].entries()) {
  facts.push({ topic: TOPICS.contacts, event: contact({ provider_id: 'pa', ended_at: utc(`2026-03-10T${String(i + 8).padStart(2, "0")}:00:00Z`), csat, sale_cents: i === 0 ? 1000 : 0 }), source: `t/0/${i}` });
}
// Past the close of March: the end of 03-31 in Berlin (CEST) is 22:00Z, plus L
const W = utc('2026-04-01T00:00:00Z');

let ledger: Awaited<ReturnType<typeof tempLedger>>;

beforeAll(async () => {
  ledger = await tempLedger('whatif');
  await insertFacts(ledger.client, facts, 1n);
  await insertSignals(ledger.client, [signal({ contact_ended_at: utc("2026-03-10T12:00:00Z"), prior_provider_id: 'pa', contact_provider_id: 'pa' })], 1n);
  await rateRange(ledger.client, actual, actual.contracts, '2026-03-01', '2026-03-31', W);
}, 60_000);
afterAll(async () => ledger?.close());

describe('whatIf', () => {
  it('under the booked terms every difference is 0 and the actual side is the ledger', async () => {
    const booked = await readLines(ledger.client);
    const w = await whatIf(ledger.client, actual, { from: '2026-03-05', to: '2026-03-20' }, W);
    expect([w.from, w.to]).toEqual(['2026-03-01', '2026-03-31']); // whole months
    expect(w.rows.every((r) => r.difference_cents === 0n)).toBe(true);
    expect(w.actual_cents).toBe(booked.reduce((s, l) => s + l.amount_cents, 0n));
    expect(w.actual_cents).toBeGreaterThan(0n);
    expect(w.gates).toEqual([{ contract_id: 'k-a', month: '2026-03', line_type: 'gainshare_quality_gate', actual_passed: true, proposed_passed: true }]);
  });

  it('a proposal: a higher share, a stricter gate and no upsell — exact differences, the gate fails, the ledger is untouched', async () => {
    const before = await readLines(ledger.client);
    const w = await whatIf(ledger.client, config(terms('0.50', '0.80', false)), { from: '2026-03-01', to: '2026-03-31' }, W);
    const row = (t: string) => w.rows.find((r) => r.line_type === t)!;
    // avoided repeats = 0.5 × 4 − 1 = 1 → 650 × 0.40 = 260 booked; 650 × 0.50 = 325 proposed
    expect(row('gainshare_repeat')).toMatchObject({ actual_cents: 260n, proposed_cents: 325n, difference_cents: 65n });
    // csat_top2 0.75 < 0.80: the proposal forfeits the month's gainshare (325)
    expect(row('gainshare_quality_gate')).toMatchObject({ actual_cents: 0n, proposed_cents: -325n });
    expect(w.gates[0]).toMatchObject({ actual_passed: true, proposed_passed: false });
    // 1000 × 5 % = 50, not in the proposal
    expect(row('upsell_commission')).toMatchObject({ actual_cents: 50n, proposed_cents: 0n, difference_cents: -50n });
    expect(row('contact_fee')).toMatchObject({ actual_cents: 1680n, proposed_cents: 1680n });
    expect(w.difference_cents).toBe(65n - 325n - 50n);
    expect(w.months).toEqual([{ contract_id: 'k-a', month: '2026-03', actual_cents: w.actual_cents, proposed_cents: w.proposed_cents, difference_cents: w.difference_cents }]);
    expect(await readLines(ledger.client)).toEqual(before);
    const text = whatIfText(w, 'title');
    expect(text).toMatch(/k-a\s+2026-03\s+gainshare_repeat\s+2\.60\s+3\.25\s+\+0\.65/);
    expect(text).toMatch(/gainshare_quality_gate\s+passed\s+failed/);
    expect(whatIfCsv(w).split('\n')).toContain('k-a,2026-03,upsell_commission,50,0,-50');
  });

  it('a contract on one side only shows 0 on the other', () => {
    const w = compareLines([{ contract_id: 'old', date: '2026-05-02', line_type: 'contact_fee', amount_cents: 7n, basis: '{}' }], [], '2026-05-01', '2026-05-31');
    expect(w.rows).toEqual([{ contract_id: 'old', month: '2026-05', line_type: 'contact_fee', actual_cents: 7n, proposed_cents: 0n, difference_cents: -7n }]);
  });
});
