import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  activeThresholds,
  dec,
  emptyKpiCounters,
  evaluateAlerts,
  nextTransition,
  parseContractsConfig,
  type AlertMemory,
  type AlertStatus,
  type KpiCounters,
  type KpiThreshold,
} from '../src/index.ts';

const repeatMax: KpiThreshold = { kpi: 'repeat_rate', min: null, max: dec('0.25'), window: '24h', min_samples: 50, clear_margin: dec('0.02') };
const slMin: KpiThreshold = { kpi: 'service_level', min: dec('0.70'), max: null, window: '1h', min_samples: 20, clear_margin: dec('0.05') };

/** repeat_rate = repeats / answered */
const repeatRate = (repeats: number, answered: number) => [dec(repeats).div(answered), answered] as const;

function drive(t: KpiThreshold, readings: ReadonlyArray<readonly [ReturnType<typeof dec> | null, number]>): string[] {
  let state: AlertStatus = 'OK';
  const out: string[] = [];
  for (const [value, sample] of readings) {
    const tr = nextTransition(t, state, value, sample);
    if (tr !== null) {
      out.push(tr);
      state = tr === 'BREACHED' ? 'BREACHED' : 'OK';
    }
  }
  return out;
}

describe('alert state machine (docs/kpis.md)', () => {
  it('breaches only beyond the bound: exactly on max is inside', () => {
    expect(nextTransition(repeatMax, 'OK', dec('0.25'), 100)).toBeNull();
    expect(nextTransition(repeatMax, 'OK', dec(26).div(100), 100)).toBe('BREACHED');
    expect(nextTransition(slMin, 'OK', dec('0.70'), 100)).toBeNull();
    expect(nextTransition(slMin, 'OK', dec(69).div(100), 100)).toBe('BREACHED');
  });

  it('does not flap while the value wanders around the bound inside the clear margin', () => {
    // 0.24 .. 0.27 around max 0.25 with clear_margin 0.02: recovery needs ≤ 0.23
    const wander = [24, 26, 25, 24, 26, 27, 24, 231, 24, 26, 22, 26].map((r) => (r > 100 ? repeatRate(r, 1000) : repeatRate(r, 100)));
    expect(drive(repeatMax, wander)).toEqual(['BREACHED', 'RECOVERED', 'BREACHED']);
    // without a margin the same readings flap at every crossing
    const noMargin = { ...repeatMax, clear_margin: dec(0) };
    expect(drive(noMargin, wander)).toEqual(['BREACHED', 'RECOVERED', 'BREACHED', 'RECOVERED', 'BREACHED', 'RECOVERED', 'BREACHED']);
  });

  it('recovers exactly at bound − margin (inclusive) and not before', () => {
    expect(nextTransition(repeatMax, 'BREACHED', dec('0.2301'), 100)).toBeNull();
    expect(nextTransition(repeatMax, 'BREACHED', dec('0.23'), 100)).toBe('RECOVERED');
    expect(nextTransition(slMin, 'BREACHED', dec('0.7499'), 100)).toBeNull();
    expect(nextTransition(slMin, 'BREACHED', dec('0.75'), 100)).toBe('RECOVERED');
  });

  it('needs min_samples for both transitions and never moves on a null value', () => {
    expect(nextTransition(repeatMax, 'OK', dec('0.9'), 49)).toBeNull();
    expect(nextTransition(repeatMax, 'OK', dec('0.9'), 50)).toBe('BREACHED');
    expect(nextTransition(repeatMax, 'BREACHED', dec('0'), 49)).toBeNull();
    expect(nextTransition(repeatMax, 'BREACHED', dec('0'), 50)).toBe('RECOVERED');
    expect(nextTransition({ ...repeatMax, min_samples: 1 }, 'OK', null, 0)).toBeNull();
    // a small sample early in the day with a bad value stays quiet until evidence accumulates
    expect(drive(repeatMax, [repeatRate(5, 10), repeatRate(12, 40), repeatRate(16, 60)])).toEqual(['BREACHED']);
  });
});

const YAML = `
timezone: Europe/Berlin
service_level_seconds: 20
contracts:
  - id: c-a-2026
    provider_id: prov-a
    valid_from: 2026-01-01
    valid_to: 2026-11-30
    kpi_thresholds:
      - {kpi: repeat_rate, max: 0.25, window: 24h, min_samples: 50, clear_margin: 0.02}
  - id: c-a-2026-12
    provider_id: prov-a
    valid_from: 2026-12-01
    valid_to: 2026-12-31
    kpi_thresholds:
      - {kpi: abandon_rate, max: 0.1, window: 1h}
  - id: c-b
    provider_id: prov-b
    valid_from: 2026-01-01
    valid_to: 2026-12-31
`;

describe('evaluateAlerts', () => {
  const cfg = parseContractsConfig(YAML, 'test.yaml');
  const nov = Date.UTC(2026, 10, 3, 10);

  it('uses the contract valid at the watermark (local date in its zone)', () => {
    expect(activeThresholds(cfg.contracts, nov).map((a) => a.key)).toEqual(['c-a-2026|prov-a|repeat_rate|24h']);
    // 2026-11-30T23:30Z is already Dec 1 in Berlin
    expect(activeThresholds(cfg.contracts, Date.UTC(2026, 10, 30, 23, 30)).map((a) => a.key)).toEqual(['c-a-2026-12|prov-a|abandon_rate|1h']);
  });

  it('emits transitions only, with deterministic ids, and the memory to store', () => {
    const memory = new Map<string, AlertMemory>();
    let counters: KpiCounters = { ...emptyKpiCounters(), answered: 100, repeats: 30 };
    const run = () => {
      const out = evaluateAlerts({
        contracts: cfg.contracts,
        watermarkMs: nov,
        counters: (window, p) => (window === '24h' && p === 'prov-a' ? counters : undefined),
        memory: (k) => memory.get(k),
      });
      for (const o of out) memory.set(o.key, o.next);
      return out;
    };
    const first = run();
    expect(first.map((o) => o.alert)).toEqual([
      {
        alert_id: 'c-a-2026|prov-a|repeat_rate|24h|1', provider_id: 'prov-a', contract_id: 'c-a-2026', kpi: 'repeat_rate',
        window: '24h', state: 'BREACHED', value: 0.3, bound: 0.25, sample: 100, at: nov,
      },
    ]);
    expect(run()).toEqual([]); // still breached: no new alert
    counters = { ...counters, answered: 200 }; // 30/200 = 0.15
    expect(run().map((o) => [o.alert.alert_id, o.alert.state])).toEqual([['c-a-2026|prov-a|repeat_rate|24h|2', 'RECOVERED']]);
    expect(memory.get('c-a-2026|prov-a|repeat_rate|24h')).toEqual({ state: 'OK', seq: 2 });
  });
});

describe('alert properties', () => {
  it('alternates BREACHED/RECOVERED, breaches only outside, recovers only margin-deep inside, for any walk', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 120 })), { maxLength: 60 }), (walk) => {
        let state: AlertStatus = 'OK';
        let last: string | null = null;
        for (const [pct, sample] of walk) {
          const value = dec(pct).div(100);
          const tr = nextTransition(repeatMax, state, value, sample);
          if (tr === null) continue;
          expect(sample).toBeGreaterThanOrEqual(repeatMax.min_samples);
          expect(tr).not.toBe(last);
          if (tr === 'BREACHED') expect(value.gt('0.25')).toBe(true);
          else expect(value.lte('0.23')).toBe(true);
          last = tr;
          state = tr === 'BREACHED' ? 'BREACHED' : 'OK';
        }
      }),
    );
  });
});
