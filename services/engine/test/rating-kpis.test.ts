import { describe, expect, it } from 'vitest';
import { addKpiCounters, emptyKpiCounters, kpiExact, kpiValues, PROVIDER_KPIS, webKpiValues } from '../src/rating/index.ts';

describe('KPI formulas (docs/kpis.md)', () => {
  const c = {
    offered: 200,
    answered: 180,
    abandoned: 20,
    phone_offered: 120,
    phone_within_sl: 90,
    answered_phone: 110,
    handle_ms: 56_250_000,
    csat_count: 40,
    csat_top2: 30,
    csat_sum: 158,
    repeats: 27,
    switches: 11,
    sale_cents: 45_000,
  };

  it('computes every provider KPI', () => {
    expect(kpiValues(c)).toEqual({
      abandon_rate: 0.1, // 20 / 200
      service_level: 0.75, // 90 / 120
      aht_seconds: 312.5, // 56 250 000 ms / 1000 / 180
      repeat_rate: 0.15, // 27 / 180
      fcr_rate: 0.85, // 1 − 0.15
      csat_top2: 0.75, // 30 / 40
      csat_avg: 3.95, // 158 / 40
      switch_share: 0.1, // 11 / 110
      sales_per_contact_cents: 250, // 45 000 / 180
    });
    expect(Object.keys(kpiValues(c))).toEqual([...PROVIDER_KPIS]);
  });

  it('keeps exact values for gates', () => {
    const x = kpiExact({ ...c, repeats: 1, answered: 3 });
    expect(x.repeat_rate?.toString()).toBe('1/3');
    expect(x.fcr_rate?.toString()).toBe('2/3');
  });

  it('returns null for a zero denominator', () => {
    expect(kpiValues(emptyKpiCounters())).toEqual(Object.fromEntries(PROVIDER_KPIS.map((k) => [k, null])));
    const onlyAbandoned = { ...emptyKpiCounters(), offered: 5, abandoned: 5, phone_offered: 5 };
    expect(kpiValues(onlyAbandoned)).toMatchObject({ abandon_rate: 1, service_level: 0, aht_seconds: null, fcr_rate: null, csat_avg: null, switch_share: null });
  });

  it('sums counters, in bigint beyond 2^53', () => {
    expect(addKpiCounters(c, c).answered).toBe(360);
    const big = addKpiCounters({ ...c, handle_ms: Number.MAX_SAFE_INTEGER }, { ...c, handle_ms: 1 });
    expect(big.handle_ms).toBe(BigInt(Number.MAX_SAFE_INTEGER) + 1n);
    expect(() => kpiValues({ ...c, answered: -1 })).toThrow(/answered must be >= 0/);
  });

  it('computes the web KPIs', () => {
    expect(webKpiValues({ journeys: 50, completed: 40, identified_switch_outcome_journeys: 8, switches: 2 })).toEqual({
      self_service_success_rate: 0.8,
      web_to_phone_rate: 0.25,
    });
    expect(webKpiValues({ journeys: 0, completed: 0, identified_switch_outcome_journeys: 0, switches: 0 })).toEqual({
      self_service_success_rate: null,
      web_to_phone_rate: null,
    });
  });
});
