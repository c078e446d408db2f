import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseContractsConfig } from '../src/config/index.ts';
import { dec } from '../src/money/index.ts';
import type { Contract } from '../src/config/index.ts';
import { accrualId, closeMonth, emptyKpiCounters, evaluateGates, LineRangeError, localDayBounds, rateDay } from '../src/rating/index.ts';
import type { AccrualLine, DayAggregates, KpiCounters } from '../src/rating/index.ts';

function contract(yaml: string): Contract {
  const cfg = parseContractsConfig(`timezone: Europe/Berlin\ncontracts:\n${yaml}`, 'test.yaml');
  return cfg.contracts[0]!;
}

/** The prov-a contract of docs/contracts.md. */
const A = contract(`
  - id: c-prov-a-2026
    provider_id: prov-a
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    scope: {intent_families: [billing, tariff]}
    transactional:
      per_contact_cents: {PHONE: 420, CHAT: 300, EMAIL: 250, MESSAGING: 280}
      per_minute_cents: {PHONE: 60}
    gainshare:
      cost_per_contact_cents: 650
      baseline: {repeat_rate: 0.22, switch_rate: 0.35}
      provider_share: 0.40
      painshare: false
      monthly_cap_cents: 2500000
      quality_gate: [{kpi: csat_top2, min: 0.75}, {kpi: service_level, min: 0.70}]
    per_customer:
      monthly_fee_cents: 120
      won_customer_bonus_cents: 1500
      quality_malus: {pct: 10, gate: [{kpi: fcr_rate, min: 0.75}]}
      min_active_customers: 900
    upsell: {commission_pct: 5}
`);

function day(date: string, over: Partial<DayAggregates> = {}): DayAggregates {
  return {
    date,
    contacts: {},
    sale_cents: 0,
    repeats: 0,
    failed_journeys: 0,
    switches: 0,
    active_customers: 0,
    won_activations: 0,
    ...over,
  };
}

const byType = (lines: readonly AccrualLine[]) => Object.fromEntries(lines.map((l) => [`${l.line_type}${l.channel ? `/${l.channel}` : ''}`, l]));
const amounts = (lines: readonly AccrualLine[]) => Object.fromEntries(lines.map((l) => [`${l.line_type}${l.channel ? `/${l.channel}` : ''}`, l.amount_cents]));

describe('rateDay: every daily line type (prov-a, 2026-12-15, a 31-day month)', () => {
  const lines = rateDay(
    A,
    day('2026-12-15', {
      contacts: { PHONE: { answered: 12, handle_ms: 3_754_321 }, CHAT: { answered: 5, handle_ms: 1_000_000 }, MESSAGING: { answered: 2, handle_ms: 600_000 } },
      sale_cents: 12_345,
      repeats: 2,
      failed_journeys: 10,
      switches: 2,
      active_customers: 1234,
      won_activations: 3,
    }),
  );
  const l = byType(lines);

  it('emits every configured line, in a fixed order, zero lines included', () => {
    expect(lines.map((x) => `${x.line_type}${x.channel ? `/${x.channel}` : ''}`)).toEqual([
      'contact_fee/PHONE',
      'contact_fee/CHAT',
      'contact_fee/EMAIL',
      'contact_fee/MESSAGING',
      'minute_fee/PHONE',
      'gainshare_repeat',
      'gainshare_switch',
      'customer_fee',
      'won_customer_bonus',
      'upsell_commission',
    ]);
  });

  it('computes the amounts (arithmetic in the comments)', () => {
    expect(amounts(lines)).toEqual({
      'contact_fee/PHONE': 5040n, // 12 × 420
      'contact_fee/CHAT': 1500n, // 5 × 300
      'contact_fee/EMAIL': 0n, // 0 × 250: kept so a re-rate replaces it
      'contact_fee/MESSAGING': 560n, // 2 × 280
      'minute_fee/PHONE': 3754n, // 3 754 321 ms × 60 / 60 000 = 3754.321 → 3754
      gainshare_repeat: 567n, // avoided = 0.22 × 19 − 2 = 2.18; 2.18 × 650 × 0.40 = 566.8 → 567
      gainshare_switch: 390n, // avoided = 0.35 × 10 − 2 = 1.5; 1.5 × 650 × 0.40 = 390
      customer_fee: 4777n, // 1234 × 120 / 31 = 4776.77… → 4777
      won_customer_bonus: 4500n, // 3 × 1500
      upsell_commission: 617n, // 12 345 × 5 / 100 = 617.25 → 617
    });
  });

  it('reports quantities as exact decimals with 4 places', () => {
    expect(l['contact_fee/PHONE']?.quantity).toBe('12.0000');
    expect(l['contact_fee/EMAIL']?.quantity).toBe('0.0000');
    expect(l['minute_fee/PHONE']?.quantity).toBe('62.5720'); // 3 754 321 / 60 000 = 62.57201666…
    expect(l['gainshare_repeat']?.quantity).toBe('2.1800');
    expect(l['gainshare_switch']?.quantity).toBe('1.5000');
    expect(l['customer_fee']?.quantity).toBe('1234.0000');
    expect(l['upsell_commission']?.quantity).toBe('12345.0000');
  });

  it('derives accrual ids from contract, date, line type and channel', () => {
    expect(l['contact_fee/PHONE']?.accrual_id).toBe('c-prov-a-2026:2026-12-15:contact_fee:PHONE');
    expect(l['gainshare_repeat']?.accrual_id).toBe('c-prov-a-2026:2026-12-15:gainshare_repeat:-');
    expect(accrualId('k', '2026-01-01', 'minute_fee', 'CHAT')).toBe('k:2026-01-01:minute_fee:CHAT');
    expect(new Set(lines.map((x) => x.accrual_id)).size).toBe(lines.length);
  });

  it('carries provider, currency and a JSON basis with the counts and rates used', () => {
    for (const x of lines) expect(x).toMatchObject({ contract_id: 'c-prov-a-2026', provider_id: 'prov-a', date: '2026-12-15', currency: 'EUR' });
    expect(l['minute_fee/PHONE']?.basis).toEqual({ answered: 12, handle_ms: 3_754_321, per_minute_cents: 60, unrounded_cents: '3754.321' });
    expect(l['gainshare_repeat']?.basis).toEqual({
      answered: 19,
      repeats: 2,
      baseline_rate: '0.22',
      avoided: '2.18',
      painshare: false,
      cost_per_contact_cents: 650,
      provider_share: '0.4',
      unrounded_cents: '566.8',
    });
    expect(l['gainshare_switch']?.basis).toMatchObject({ failed_journeys: 10, switches: 2, intent_families: ['billing', 'tariff'] });
    expect(l['customer_fee']?.basis).toEqual({ active_customers: 1234, monthly_fee_cents: 120, days_in_month: 31, unrounded_cents: '148080/31' });
    expect(JSON.parse(JSON.stringify(lines.map((x) => x.basis)))).toEqual(lines.map((x) => x.basis));
  });

  it('uses the days of D’s month for customer_fee (November: 30)', () => {
    const [fee] = rateDay(A, day('2026-11-03', { active_customers: 1234 })).filter((x) => x.line_type === 'customer_fee');
    expect(fee?.amount_cents).toBe(4936n); // 1234 × 120 / 30 = 4936 exactly
  });
});

describe('rateDay: gainshare sign, painshare and half cents', () => {
  // 0.2225 × 650 × 0.40 = 57.85 cents per answered contact: 10 answered give a half cent.
  const painshare = (on: boolean) =>
    contract(`
  - id: c-b
    provider_id: prov-b
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    gainshare: {cost_per_contact_cents: 650, baseline: {repeat_rate: 0.2225}, provider_share: 0.40, painshare: ${on}}`);
  const rate = (c: Contract, repeats: number) => rateDay(c, day('2026-11-03', { contacts: { PHONE: { answered: 10, handle_ms: 0 } }, repeats }))[0]!;

  it('rounds +578.5 up to 579', () => {
    // avoided = 0.2225 × 10 − 0 = 2.225; 2.225 × 650 × 0.40 = 578.5 → 579
    const l = rate(painshare(true), 0);
    expect([l.quantity, l.amount_cents, l.basis['unrounded_cents']]).toEqual(['2.2250', 579n, '578.5']);
  });

  it('rounds −721.5 down to −722 with painshare', () => {
    // avoided = 2.225 − 5 = −2.775; −2.775 × 260 = −721.5 → −722 (half away from zero)
    const l = rate(painshare(true), 5);
    expect([l.quantity, l.amount_cents, l.basis['unrounded_cents']]).toEqual(['-2.7750', -722n, '-721.5']);
  });

  it('turns negative avoided contacts into 0 without painshare, keeping the raw value in the basis', () => {
    const l = rate(painshare(false), 5);
    expect([l.line_type, l.quantity, l.amount_cents]).toEqual(['gainshare_repeat', '0.0000', 0n]);
    expect(l.basis['avoided']).toBe('-2.775');
  });

  it('emits no gainshare line without a baseline, and no switch line without a scope', () => {
    const noScope = contract(`
  - id: c-x
    provider_id: prov-x
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    gainshare: {cost_per_contact_cents: 650, baseline: {switch_rate: 0.3}, provider_share: 0.5}`);
    expect(rateDay(noScope, day('2026-11-03', { failed_journeys: 10 }))).toEqual([]);
    const bare = contract(`  - {id: c-y, provider_id: p, valid_from: 2026-01-01, valid_to: 2026-12-31, gainshare: {cost_per_contact_cents: 1, provider_share: 1}}`);
    expect(rateDay(bare, day('2026-11-03'))).toEqual([]);
  });
});

describe('rateDay: inputs', () => {
  it('refuses days outside validity, bad dates and bad counts', () => {
    expect(() => rateDay(A, day('2027-01-01'))).toThrow(/outside c-prov-a-2026's validity/);
    expect(() => rateDay(A, day('2026-02-30'))).toThrow(/YYYY-MM-DD/);
    expect(() => rateDay(A, day('2026-11-03', { repeats: -1 }))).toThrow(/repeats must be >= 0/);
    expect(() => rateDay(A, day('2026-11-03', { sale_cents: 1.5 }))).toThrow(/sale_cents must be a safe integer/);
  });

  it('accepts bigint sums', () => {
    const l = byType(rateDay(A, day('2026-11-03', { contacts: { PHONE: { answered: 1n, handle_ms: 90_000n } } })));
    expect(l['minute_fee/PHONE']?.amount_cents).toBe(90n); // 1.5 min × 60
  });

  it('rates a 23-hour DST day like any other: the caller counts contacts in its bounds', () => {
    const { start, end } = localDayBounds('2026-03-29', 'Europe/Berlin');
    expect([new Date(start).toISOString(), new Date(end).toISOString()]).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    const l = byType(rateDay(A, day('2026-03-29', { contacts: { PHONE: { answered: 3, handle_ms: 150_000 } }, active_customers: 31 })));
    expect(l['minute_fee/PHONE']?.amount_cents).toBe(150n); // 2.5 min × 60
    expect(l['customer_fee']?.amount_cents).toBe(120n); // 31 × 120 / 31 (March)
  });

  it('matches integer arithmetic for contact and minute fees (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.nat({ max: 2 ** 40 }), (answered, handleMs) => {
        const l = byType(rateDay(A, day('2026-06-01', { contacts: { PHONE: { answered, handle_ms: handleMs } } })));
        expect(l['contact_fee/PHONE']?.amount_cents).toBe(BigInt(answered) * 420n);
        // round half up of h × 60 / 60 000 for h ≥ 0 = ⌊(2·h·60 + 60 000) / 120 000⌋
        expect(l['minute_fee/PHONE']?.amount_cents).toBe((2n * BigInt(handleMs) * 60n + 60_000n) / 120_000n);
      }),
    );
  });
});

/** Section 3 counters with the given csat_top2, service level and repeat numbers. */
function counters(over: Partial<KpiCounters>): KpiCounters {
  return { ...emptyKpiCounters(), ...over };
}

describe('closeMonth: cap and quality gate', () => {
  const K = contract(`
  - id: c-k
    provider_id: prov-k
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    scope: {intent_families: [billing]}
    gainshare:
      cost_per_contact_cents: 650
      baseline: {repeat_rate: 0.22, switch_rate: 0.35}
      provider_share: 0.40
      monthly_cap_cents: 1000
      quality_gate: [{kpi: csat_top2, min: 0.75}, {kpi: service_level, min: 0.70}]`);
  const daily = [
    // repeat: 0.22 × 100 − 10 = 12 avoided × 260 = 3120; switch: 0.35 × 10 − 1 = 2.5 × 260 = 650
    ...rateDay(K, day('2026-11-02', { contacts: { PHONE: { answered: 100, handle_ms: 0 } }, repeats: 10, failed_journeys: 10, switches: 1 })),
    // repeat: 0.22 × 50 − 20 = −9 → 0 (no painshare); switch: 0
    ...rateDay(K, day('2026-11-03', { contacts: { CHAT: { answered: 50, handle_ms: 0 } }, repeats: 20 })),
  ];

  it('caps G and forfeits the capped gainshare when a gate fails (net 0)', () => {
    expect(daily.map((l) => l.amount_cents)).toEqual([3120n, 650n, 0n, 0n]); // G = 3770
    // csat_top2 = 70 / 100 = 0.70 < 0.75 fails; service_level = 70 / 100 = 0.70 ≥ 0.70 passes (exactly)
    const month = counters({ answered: 150, csat_count: 100, csat_top2: 70, csat_sum: 400, phone_offered: 100, phone_within_sl: 70 });
    const close = closeMonth(K, '2026-11', daily, month, {});
    expect(close.map((l) => [l.line_type, l.date, l.quantity, l.amount_cents])).toEqual([
      ['gainshare_cap', '2026-11-30', '0.0000', -2770n], // 1000 − 3770
      ['gainshare_quality_gate', '2026-11-30', '0.0000', -1000n], // −max(0, min(3770, 1000))
    ]);
    expect(daily.reduce((s, l) => s + l.amount_cents, 0n) + close.reduce((s, l) => s + l.amount_cents, 0n)).toBe(0n);
    const gate = close[1]!;
    expect(gate.accrual_id).toBe('c-k:2026-11-30:gainshare_quality_gate:-');
    expect(gate.basis['passed']).toBe(false);
    expect(gate.basis['gates']).toEqual([
      { kpi: 'csat_top2', min: '0.75', value: '0.700000', passed: false },
      { kpi: 'service_level', min: '0.7', value: '0.700000', passed: true },
    ]);
  });

  it('emits zero cap and gate lines when G is under the cap and the gates pass', () => {
    const month = counters({ answered: 150, csat_count: 100, csat_top2: 75, csat_sum: 400, phone_offered: 100, phone_within_sl: 80 });
    // Without the first day's repeat line: G = 650 (switch) + 0 + 0 ≤ 1000.
    const close = closeMonth(K, '2026-11', daily.slice(1), month, {});
    expect(close.map((l) => [l.line_type, l.amount_cents])).toEqual([
      ['gainshare_cap', 0n],
      ['gainshare_quality_gate', 0n],
    ]);
  });

  it('never waives a negative G (painshare) when a gate fails', () => {
    const P = contract(`
  - id: c-p
    provider_id: prov-p
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    gainshare: {cost_per_contact_cents: 650, baseline: {repeat_rate: 0.1}, provider_share: 0.5, painshare: true, quality_gate: [{kpi: csat_avg, min: 4}]}`);
    // 0.1 × 10 − 3 = −2 avoided × 325 = −650
    const lines = rateDay(P, day('2026-11-03', { contacts: { PHONE: { answered: 10, handle_ms: 0 } }, repeats: 3 }));
    expect(lines[0]?.amount_cents).toBe(-650n);
    const close = closeMonth(P, '2026-11', lines, counters({}), {});
    expect(close.map((l) => [l.line_type, l.amount_cents])).toEqual([['gainshare_quality_gate', 0n]]); // −max(0, −650)
  });
});

describe('closeMonth: a gate whose KPI is null fails', () => {
  const C = contract(`
  - id: c-n
    provider_id: prov-n
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    gainshare: {cost_per_contact_cents: 650, baseline: {repeat_rate: 0.22}, provider_share: 0.40, quality_gate: [{kpi: csat_top2, min: 0.5}]}
    per_customer:
      monthly_fee_cents: 120
      quality_malus: {pct: 10, gate: [{kpi: fcr_rate, min: 0.75}]}`);
  const daily = [
    // repeat: 0.22 × 100 = 22 avoided × 260 = 5720; customer_fee: 1234 × 120 / 31 = 4776.77 → 4777
    ...rateDay(C, day('2026-12-01', { contacts: { PHONE: { answered: 100, handle_ms: 0 } }, active_customers: 1234 })),
    // customer_fee: 1235 × 120 / 31 = 4780.65 → 4781
    ...rateDay(C, day('2026-12-02', { active_customers: 1235 })),
  ];

  it('forfeits gainshare and applies the fee malus when there is no evidence', () => {
    expect(daily.map((l) => [l.line_type, l.amount_cents])).toEqual([
      ['gainshare_repeat', 5720n],
      ['customer_fee', 4777n],
      ['gainshare_repeat', 0n],
      ['customer_fee', 4781n],
    ]);
    // No csat responses (csat_top2 null) and no answered contacts (fcr_rate null).
    const close = closeMonth(C, '2026-12', daily, counters({}), {});
    expect(close.map((l) => [l.line_type, l.date, l.amount_cents])).toEqual([
      ['gainshare_quality_gate', '2026-12-31', -5720n], // no cap: −max(0, G)
      ['customer_fee_malus', '2026-12-31', -956n], // −round((4777 + 4781) × 10 / 100) = −round(955.8)
    ]);
    expect(close[0]?.basis['gates']).toEqual([{ kpi: 'csat_top2', min: '0.5', value: null, passed: false }]);
  });

  it('passes with evidence', () => {
    // fcr_rate = 1 − 25 / 100 = 0.75 ≥ 0.75 (exact); csat_top2 = 1 / 2 ≥ 0.5
    const close = closeMonth(C, '2026-12', daily, counters({ answered: 100, repeats: 25, csat_count: 2, csat_top2: 1, csat_sum: 7 }), {});
    expect(close.map((l) => l.amount_cents)).toEqual([0n, 0n]);
  });
});

describe('closeMonth: a contract starting mid-month (customer floor)', () => {
  const C = contract(`
  - id: c-prov-c-2026-11
    provider_id: prov-c
    valid_from: 2026-11-10
    valid_to: 2027-06-30
    per_customer: {monthly_fee_cents: 110, min_active_customers: 800}`);
  const active: Record<string, number> = { '2026-11-05': 0 }; // outside validity: ignored
  for (let d = 10; d <= 30; d++) active[`2026-11-${d}`] = d <= 20 ? 760 : 790;
  const daily = Object.entries(active)
    .filter(([date]) => date >= '2026-11-10')
    .flatMap(([date, n]) => rateDay(C, day(date, { active_customers: n })));

  it('charges customer_fee by the days of the month, from the first valid day', () => {
    expect(daily).toHaveLength(21);
    expect(daily[0]?.date).toBe('2026-11-10');
    expect(daily[0]?.amount_cents).toBe(2787n); // 760 × 110 / 30 = 2786.67 → 2787
    expect(() => rateDay(C, day('2026-11-09'))).toThrow(/outside/);
  });

  it('averages the active counts over the 21 days inside validity only', () => {
    // Σ = 11 × 760 + 10 × 790 = 16 260; avg = 16 260 / 21 = 774.2857…
    // −round((800 − 774.2857…) × 110) = −round(540/21 × 110) = −round(2828.571…) = −2829
    const close = closeMonth(C, '2026-11', daily, counters({}), active);
    expect(close.map((l) => [l.line_type, l.date, l.quantity, l.amount_cents])).toEqual([['customer_floor_malus', '2026-11-30', '0.0000', -2829n]]);
    expect(close[0]?.basis).toEqual({
      days: 21,
      active_customer_days: 16_260,
      avg_active_customers: '5420/7',
      min_active_customers: 800,
      monthly_fee_cents: 110,
      unrounded_cents: '-19800/7',
    });
  });

  it('charges nothing when the average meets the floor', () => {
    const high = Object.fromEntries(Object.keys(active).map((d) => [d, 800]));
    expect(closeMonth(C, '2026-11', daily, counters({}), high).map((l) => l.amount_cents)).toEqual([0n]);
  });

  it('refuses a missing daily count, foreign or duplicate lines, and months outside validity', () => {
    expect(() => closeMonth(C, '2026-11', daily, counters({}), { '2026-11-10': 800 })).toThrow(/no active customer count for 2026-11-11/);
    expect(() => closeMonth(C, '2026-11', [...daily, daily[0]!], counters({}), active)).toThrow(/given twice/);
    expect(() => closeMonth(C, '2026-12', daily, counters({}), active)).toThrow(/not a line of/);
    expect(() => closeMonth(C, '2026-10', [], counters({}), active)).toThrow(/no day inside/);
  });
});

describe('evaluateGates', () => {
  it('compares exactly where floats would not: 1 − 0.7 ≤ 0.3', () => {
    const gates = [{ kpi: 'fcr_rate' as const, min: null, max: dec('0.3') }];
    expect(1 - 0.7 <= 0.3).toBe(false); // the float answer
    expect(evaluateGates(gates, counters({ answered: 10, repeats: 7 })).passed).toBe(true);
    expect(evaluateGates(gates, counters({ answered: 0 })).passed).toBe(false);
    expect(evaluateGates([], counters({})).passed).toBe(true);
  });
});

describe('exact amounts around 2^53 and 2^63, both signs', () => {
  const TWO53 = 2n ** 53n;
  const MAX = 2n ** 63n - 1n;
  const U = contract(`
  - id: c-big
    provider_id: prov-big
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    upsell: {commission_pct: 100}`);
  const upsell = (sale: bigint) => rateDay(U, day('2026-11-03', { sale_cents: sale }))[0]!;
  // painshare with cost 1 and share 1: the amount is −repeats exactly
  const P = contract(`
  - id: c-pain
    provider_id: prov-pain
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    gainshare: {cost_per_contact_cents: 1, baseline: {repeat_rate: 1}, provider_share: 1, painshare: true, monthly_cap_cents: 0}`);
  const pain = (date: string, answered: bigint, repeats: bigint) => rateDay(P, day(date, { contacts: { PHONE: { answered, handle_ms: 0n } }, repeats }))[0]!;

  it('keeps Σ sale_cents past 2^53 and its commission exact (no double in between)', () => {
    const l = upsell(TWO53 + 1n);
    expect([l.quantity, l.amount_cents]).toEqual(['9007199254740993.0000', TWO53 + 1n]);
    expect(l.basis['sale_cents']).toBe('9007199254740993'); // basis counts past 2^53 as text
    // 5 % of 10^14 + 3 cents: 5 000 000 000 000.15 → 5 000 000 000 000
    const five = rateDay(A, day('2026-11-03', { sale_cents: 10n ** 14n + 3n })).find((x) => x.line_type === 'upsell_commission')!;
    expect([five.quantity, five.amount_cents]).toEqual(['100000000000003.0000', 5_000_000_000_000n]);
  });

  it('books negative amounts past −2^53 exactly', () => {
    const l = pain('2026-11-03', 0n, TWO53 + 1n);
    expect([l.quantity, l.amount_cents]).toEqual(['-9007199254740993.0000', -(TWO53 + 1n)]);
  });

  it('accepts 2^63 − 1 and −2^63 cents, the ends of the range', () => {
    expect(upsell(MAX).amount_cents).toBe(MAX);
    expect(pain('2026-11-03', 0n, MAX + 1n).amount_cents).toBe(-MAX - 1n);
  });

  it('refuses 2^63 and −2^63 − 1 cents with one line naming contract, day and line', () => {
    expect(() => upsell(MAX + 1n)).toThrow(LineRangeError);
    expect(() => upsell(MAX + 1n)).toThrow(
      'contract c-big, day 2026-11-03, line upsell_commission: amount 9223372036854775808 cents is beyond the signed 64-bit range of cents (±9223372036854775807)',
    );
    let err: unknown;
    try {
      pain('2026-11-04', 0n, MAX + 2n);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LineRangeError);
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ contract_id: 'c-pain', date: '2026-11-04', line_type: 'gainshare_repeat', channel: null, field: 'amount_cents', value: '-9223372036854775809', reason: 'amount_out_of_range' });
    expect((err as Error).message).not.toContain('\n');
    // a fee line names its channel
    const F = contract(`  - {id: c-fee, provider_id: p, valid_from: 2026-01-01, valid_to: 2026-12-31, transactional: {per_contact_cents: {CHAT: 2}}}`);
    expect(() => rateDay(F, day('2026-11-03', { contacts: { CHAT: { answered: 2n ** 62n, handle_ms: 0n } } }))).toThrow(/^contract c-fee, day 2026-11-03, line contact_fee CHAT: amount 9223372036854775808 cents/);
  });

  it('refuses a month-close line past the range: G of two in-range days', () => {
    // each day 2^62 + 1 avoided (no repeats) → G = 2^63 + 2 > cap 0, cap − G = −2^63 − 2
    const daily = [pain('2026-11-02', 2n ** 62n + 1n, 0n), pain('2026-11-03', 2n ** 62n + 1n, 0n)];
    expect(daily.map((l) => l.amount_cents)).toEqual([2n ** 62n + 1n, 2n ** 62n + 1n]);
    expect(() => closeMonth(P, '2026-11', daily, counters({}), {})).toThrow(/^contract c-pain, day 2026-11-30, line gainshare_cap: amount -9223372036854775810 cents is beyond/);
    // one cent less of G and the cap line is exactly −2^63
    const fits = [pain('2026-11-02', 2n ** 62n, 0n), pain('2026-11-03', 2n ** 62n, 0n)];
    expect(closeMonth(P, '2026-11', fits, counters({}), {}).map((l) => [l.line_type, l.amount_cents])).toEqual([['gainshare_cap', -MAX - 1n]]);
  });
});
