import { describe, expect, it } from 'vitest';
import {
  ALL,
  bucketDeltas,
  contactIncrements,
  counterField,
  foldBuckets,
  hourBucket,
  incrementsOf,
  journeyIncrements,
  kpiTable,
  minuteBucket,
  parseCounterField,
  providerReadings,
  signalIncrements,
  type KpiEvent,
  type KpiIncrement,
  type KpiSettings,
} from '../src/kpi/index.ts';
import { kpiValues, type JourneySignal } from '../src/index.ts';
import { abandoned, contact, journey, T0 } from './fixtures.ts';

const settings: KpiSettings = { serviceLevelSeconds: 20, switchOutcomes: ['ABANDONED', 'FAILED'] };

/** field → sum, for one scope key */
function sums(incs: KpiIncrement[], key: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of incs) if (i.key === key) out[i.counter] = (out[i.counter] ?? 0) + i.by;
  return out;
}

function signal(over: Partial<JourneySignal> = {}): JourneySignal {
  return {
    signal_id: 'sig-e2',
    kind: 'REPEAT_CONTACT',
    customer_id: 'u1',
    contact_event_id: 'e2',
    contact_id: 'c2',
    contact_provider_id: 'prov-b',
    contact_channel: 'PHONE',
    contact_ended_at: T0 + 3_600_000,
    intent_family: 'billing',
    prior_event_id: 'e1',
    prior_id: 'c1',
    prior_provider_id: 'prov-a',
    prior_ended_at: T0,
    gap_ms: 60_000,
    ...over,
  };
}

describe('counter increments of one event (docs/kpis.md)', () => {
  it('an answered PHONE contact counts for its provider and for all, bucketed by ended_at', () => {
    const c = contact({ started_at: T0, answered_at: T0 + 20_000, ended_at: T0 + 320_000, csat: 4, sale_cents: 1500 });
    const incs = contactIncrements(c, settings);
    const want = { offered: 1, answered: 1, phone_offered: 1, answered_phone: 1, phone_within_sl: 1, handle_ms: 300_000, csat_count: 1, csat_top2: 1, csat_sum: 4, sale_cents: 1500 };
    expect(sums(incs, 'prov-a')).toEqual(want);
    expect(sums(incs, ALL)).toEqual(want);
    expect(new Set(incs.map((i) => i.at))).toEqual(new Set([c.ended_at]));
  });

  it('service level is inclusive at SL seconds and missed one ms later', () => {
    expect(sums(contactIncrements(contact({ answered_at: T0 + 20_000 }), settings), 'prov-a').phone_within_sl).toBe(1);
    expect(sums(contactIncrements(contact({ answered_at: T0 + 20_001 }), settings), 'prov-a').phone_within_sl).toBeUndefined();
    expect(sums(contactIncrements(contact({ answered_at: T0 + 25_000 }), { ...settings, serviceLevelSeconds: 30 }), 'prov-a').phone_within_sl).toBe(1);
  });

  it('an abandoned contact is offered and abandoned; a CHAT contact is no PHONE contact', () => {
    expect(sums(contactIncrements(abandoned(), settings), 'prov-a')).toEqual({ offered: 1, abandoned: 1, phone_offered: 1 });
    expect(sums(contactIncrements(contact({ channel: 'CHAT', csat: 2 }), settings), 'prov-a')).toEqual({
      offered: 1, answered: 1, handle_ms: 290_000, csat_count: 1, csat_sum: 2,
    });
  });

  it('a repeat is charged to the prior provider, a switch to the contact provider and the journey family', () => {
    const r = signalIncrements(signal());
    expect(sums(r, 'prov-a')).toEqual({ repeats: 1 });
    expect(sums(r, 'prov-b')).toEqual({});
    expect(sums(r, ALL)).toEqual({ repeats: 1 });
    expect(r.every((i) => i.at === T0 + 3_600_000)).toBe(true);

    const s = signalIncrements(signal({ kind: 'CHANNEL_SWITCH', prior_provider_id: null, intent_family: 'tech' }));
    expect(s.filter((i) => i.scope === 'provider').map((i) => `${i.key}|${i.counter}`)).toEqual(['prov-b|switches', 'all|switches']);
    expect(s.filter((i) => i.scope === 'web').map((i) => `${i.key}|${i.counter}`)).toEqual(['tech|switches', 'all|switches']);
  });

  it('journeys count per family; only identified journeys with a switch outcome feed web_to_phone_rate', () => {
    expect(sums(journeyIncrements(journey({ outcome: 'COMPLETED' }), settings), 'billing')).toEqual({ journeys: 1, completed: 1 });
    expect(sums(journeyIncrements(journey({ outcome: 'FAILED' }), settings), 'billing')).toEqual({ journeys: 1, identified_switch_outcome_journeys: 1 });
    expect(sums(journeyIncrements(journey({ outcome: 'FAILED', customer_id: null }), settings), 'billing')).toEqual({ journeys: 1 });
    expect(sums(journeyIncrements(journey({ outcome: 'ABANDONED' }), { ...settings, switchOutcomes: ['FAILED'] }), ALL)).toEqual({ journeys: 1 });
  });
});

describe('bucket layout', () => {
  it('round-trips counter fields', () => {
    for (const inc of [
      { scope: 'provider', key: 'prov-a', counter: 'handle_ms' },
      { scope: 'provider', key: ALL, counter: 'switches' },
      { scope: 'web', key: 'billing', counter: 'switches' },
      { scope: 'web', key: ALL, counter: 'journeys' },
    ] as const) {
      expect(parseCounterField(counterField(inc))).toEqual(inc);
    }
    expect(counterField({ scope: 'web', key: 'tech', counter: 'completed' })).toBe('web|tech|completed');
    expect(parseCounterField('prov-a|no_such_counter')).toBeNull();
  });

  it('puts every increment into its minute and its hour bucket and folds buckets back into the KPIs', () => {
    const events: KpiEvent[] = [
      { kind: 'contact', event: contact({ event_id: 'e1', ended_at: T0 + 60_000, answered_at: T0 + 5_000 }) },
      { kind: 'contact', event: abandoned({ event_id: 'e2', contact_id: 'c2', ended_at: T0 + 61 * 60_000, started_at: T0 + 60 * 60_000 }) },
      { kind: 'signal', event: signal({ contact_ended_at: T0 + 60_000 }) },
      { kind: 'journey', event: journey() },
    ];
    const deltas = bucketDeltas(events.flatMap((e) => incrementsOf(e, settings)));
    expect(deltas.filter((d) => d.granularity === 'h').map((d) => d.bucket)).toEqual([hourBucket(T0), hourBucket(T0) + 1]);
    expect(deltas.filter((d) => d.granularity === 'm').map((d) => d.bucket)).toEqual(
      [...new Set([minuteBucket(T0 + 60_000), minuteBucket(T0 + 61 * 60_000), minuteBucket(journey().ended_at)])].sort((a, b) => a - b),
    );
    const asHash = (g: 'm' | 'h') =>
      deltas.filter((d) => d.granularity === g).map((d) => Object.fromEntries([...d.fields].map(([f, v]) => [f, String(v)])));
    for (const g of ['m', 'h'] as const) {
      const set = foldBuckets(asHash(g));
      expect(set.providers.get('prov-a')).toMatchObject({ offered: 2, answered: 1, abandoned: 1, repeats: 1 });
      expect(kpiValues(set.providers.get(ALL)!).abandon_rate).toBe(0.5);
      expect(set.web.get('billing')).toEqual({ journeys: 1, completed: 0, identified_switch_outcome_journeys: 1, switches: 0 });
      const table = kpiTable(set);
      expect(Object.keys(table.providers)).toEqual([ALL, 'prov-a']);
      expect(table.providers['prov-a']!.repeat_rate).toEqual({ value: 1, sample: 1 });
      expect(table.web[ALL]!.web_to_phone_rate).toEqual({ value: 0, sample: 1 });
    }
  });

  it('pairs each KPI with its denominator as sample; a zero sample has a null value', () => {
    const set = foldBuckets([{ 'p|offered': '4', 'p|abandoned': '4', 'p|phone_offered': '2' }]);
    const r = providerReadings(set.providers.get('p')!);
    expect(r.abandon_rate).toEqual({ value: 1, sample: 4 });
    expect(r.service_level).toEqual({ value: 0, sample: 2 });
    expect(r.aht_seconds).toEqual({ value: null, sample: 0 });
    expect(r.csat_avg).toEqual({ value: null, sample: 0 });
  });
});
