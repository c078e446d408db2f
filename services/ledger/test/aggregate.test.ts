/**
 * SQL aggregation on a real embedded ClickHouse: hand-made facts → DayAggregates and KPI
 * counters, exactly. Europe/Berlin's DST days are 23 h (2026-03-29) and 25 h (2026-10-25) long;
 * facts sit on their first and last milliseconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, emptyKpiCounters, type InputEvent, type InputTopic } from '@cxg/engine';
import { insertFacts, insertSignals } from '../src/facts.ts';
import { loadDayFacts, type DayFacts } from '../src/aggregate.ts';
import { config, contact, customer, journey, signal, tempLedger, utc } from '../src/testing.ts';

const cfg = config(`
timezone: Europe/Berlin
contracts:
  - id: k
    provider_id: p
    valid_from: 2026-03-10
    valid_to: 2026-12-31
    scope: {intent_families: [billing]}
    transactional: {per_contact_cents: {PHONE: 100}}
  - id: k-unscoped
    provider_id: p2
    valid_from: 2026-01-01
    valid_to: 2026-12-31
`);
const K = cfg.contracts[0]!;
const K2 = cfg.contracts[1]!;

// 2026-10-25 (Berlin) = [2026-10-24T22:00Z, 2026-10-25T23:00Z): 25 hours.
const D_START = utc('2026-10-24T22:00:00.000Z');
const D_END = utc('2026-10-25T23:00:00.000Z');
// 2026-03-29 (Berlin) = [2026-03-28T23:00Z, 2026-03-29T22:00Z): 23 hours.
const S_START = utc('2026-03-28T23:00:00.000Z');
const S_END = utc('2026-03-29T22:00:00.000Z');

const facts: Array<{ topic: InputTopic; event: InputEvent }> = [];
const fact = (topic: InputTopic, event: InputEvent) => facts.push({ topic, event });

// Contacts of p on 2026-10-25: two answered PHONE (one on the day's first ms, wait 25 s; one in
// the extra hour, wait exactly 20 s = inside SL), one CHAT, one abandoned PHONE.
fact(TOPICS.contacts, contact({ ended_at: D_START, answered_at: D_START - 60_000, started_at: D_START - 85_000, csat: 3 }));
const late = utc('2026-10-25T22:30:00.000Z');
const inExtraHour = contact({ ended_at: late, answered_at: late - 300_000, started_at: late - 320_000, csat: 5, sale_cents: 1000 });
fact(TOPICS.contacts, inExtraHour);
fact(TOPICS.contacts, contact({ channel: 'CHAT', ended_at: utc('2026-10-25T12:00:00Z'), answered_at: utc('2026-10-25T11:58:00Z'), sale_cents: 500, csat: 4 }));
fact(TOPICS.contacts, contact({ ended_at: utc('2026-10-25T09:00:00Z'), answered_at: null, started_at: utc('2026-10-25T08:59:00Z') }));
// Outside the day or of another provider.
fact(TOPICS.contacts, contact({ ended_at: D_END }));
fact(TOPICS.contacts, contact({ ended_at: D_START - 1, answered_at: D_START - 61_000 }));
fact(TOPICS.contacts, contact({ provider_id: 'q', ended_at: utc('2026-10-25T10:00:00Z') }));
// 2026-03-29, the 23-hour day: first and last ms inside, one ms either side outside.
fact(TOPICS.contacts, contact({ ended_at: S_START, answered_at: S_START - 1000 }));
fact(TOPICS.contacts, contact({ ended_at: S_END - 1, answered_at: S_END - 1001 }));
fact(TOPICS.contacts, contact({ ended_at: S_START - 1, answered_at: S_START - 1001 }));
fact(TOPICS.contacts, contact({ ended_at: S_END, answered_at: S_END - 1000 }));

// Journeys on 2026-10-25: FAILED and ABANDONED billing with a customer count; anonymous,
// COMPLETED and out-of-scope ones do not.
fact(TOPICS.web, journey({ ended_at: utc('2026-10-25T08:00:00Z'), outcome: 'FAILED' }));
fact(TOPICS.web, journey({ ended_at: utc('2026-10-25T22:59:59.999Z'), outcome: 'ABANDONED', journey: 'billing' }));
fact(TOPICS.web, journey({ ended_at: utc('2026-10-25T08:00:00Z'), outcome: 'FAILED', customer_id: null }));
fact(TOPICS.web, journey({ ended_at: utc('2026-10-25T08:00:00Z'), outcome: 'COMPLETED' }));
fact(TOPICS.web, journey({ ended_at: utc('2026-10-25T08:00:00Z'), outcome: 'FAILED', journey: 'tech.modem' }));

// Customers.
fact(TOPICS.customers, customer({ customer_id: 'u1', occurred_at: utc('2026-10-01T00:00:00Z') }));
fact(TOPICS.customers, customer({ customer_id: 'u2', occurred_at: utc('2026-10-20T00:00:00Z') }));
fact(TOPICS.customers, customer({ customer_id: 'u2', occurred_at: D_END - 1, type: 'DEACTIVATED' }));
fact(TOPICS.customers, customer({ customer_id: 'u3', occurred_at: D_END })); // at the end: not before it
// Same occurred_at: the greater event_id is the later one.
fact(TOPICS.customers, customer({ customer_id: 'u4', occurred_at: utc('2026-10-25T05:00:00Z'), event_id: 'u4-b' }));
fact(TOPICS.customers, customer({ customer_id: 'u4', occurred_at: utc('2026-10-25T05:00:00Z'), event_id: 'u4-a', type: 'DEACTIVATED' }));
fact(TOPICS.customers, customer({ customer_id: 'u5', occurred_at: utc('2026-10-01T00:00:00Z'), provider_id: 'q' }));
fact(TOPICS.customers, customer({ customer_id: 'u6', occurred_at: utc('2026-10-25T10:00:00Z'), won_by_provider: true }));
fact(TOPICS.customers, customer({ customer_id: 'u7', occurred_at: utc('2026-10-02T00:00:00Z') }));
fact(TOPICS.customers, customer({ customer_id: 'u7', occurred_at: utc('2026-10-25T12:00:00Z'), provider_id: 'q' }));

const signals = [
  signal({ contact_ended_at: utc('2026-10-25T10:00:00Z'), kind: 'REPEAT_CONTACT', prior_provider_id: 'p', contact_provider_id: 'q' }),
  signal({ contact_ended_at: utc('2026-10-25T10:00:00Z'), kind: 'REPEAT_CONTACT', prior_provider_id: 'q', contact_provider_id: 'p' }),
  signal({ contact_ended_at: utc('2026-10-25T10:00:00Z'), kind: 'CHANNEL_SWITCH', prior_provider_id: null, contact_provider_id: 'q', intent_family: 'billing' }),
  signal({ contact_ended_at: utc('2026-10-25T10:00:00Z'), kind: 'CHANNEL_SWITCH', prior_provider_id: null, contact_provider_id: 'p', intent_family: 'tech' }),
  signal({ contact_ended_at: D_END, kind: 'REPEAT_CONTACT', prior_provider_id: 'p' }),
];

let ledger: Awaited<ReturnType<typeof tempLedger>>;
let days: Map<string, DayFacts>;
const DATES = ['2026-03-28', '2026-03-29', '2026-03-30', '2026-10-24', '2026-10-25', '2026-10-26'];

beforeAll(async () => {
  ledger = await tempLedger('aggregate');
  const withSource = facts.map((f, i) => ({ ...f, source: `t/0/${i}` }));
  await insertFacts(ledger.client, withSource, 1n);
  // A crash re-read inserts the same rows again; FINAL folds them.
  await insertFacts(ledger.client, withSource.slice(0, 5), 2n);
  await insertSignals(ledger.client, signals, 1n);
  await insertSignals(ledger.client, signals, 2n);
  days = await loadDayFacts(ledger.client, cfg, K, DATES);
}, 60_000);
afterAll(async () => ledger?.close());

const counters = (over: Partial<ReturnType<typeof emptyKpiCounters>>) => ({ ...emptyKpiCounters(), ...over });

describe('loadDayFacts: SQL aggregates per local day', () => {
  it('2026-10-25 (25 h): contacts, sales, repeats, switches, failed journeys, active and won customers', () => {
    expect(days.get('2026-10-25')).toEqual({
      aggregates: {
        date: '2026-10-25',
        contacts: { PHONE: { answered: 2, handle_ms: 360_000 }, CHAT: { answered: 1, handle_ms: 120_000 } },
        sale_cents: 1500,
        repeats: 1,
        failed_journeys: 2,
        switches: 1,
        active_customers: 3, // u1, u4 (tie → greater event_id ACTIVATED), u6
        won_activations: 1,
      },
      counters: counters({
        offered: 4,
        answered: 3,
        abandoned: 1,
        phone_offered: 3,
        phone_within_sl: 1, // wait exactly 20 s counts, 25 s does not
        answered_phone: 2,
        handle_ms: 480_000,
        csat_count: 3,
        csat_top2: 2,
        csat_sum: 12,
        repeats: 1,
        switches: 1, // the tech switch on p's own contact
        sale_cents: 1500,
      }),
    });
  });

  it('the neighbours of the 25 h day get the contacts one ms outside it, and their own active counts', () => {
    expect(days.get('2026-10-24')!.aggregates).toMatchObject({ contacts: { PHONE: { answered: 1, handle_ms: 60_999 } }, active_customers: 3 }); // u1, u2, u7
    expect(days.get('2026-10-26')!.aggregates).toMatchObject({ contacts: { PHONE: { answered: 1, handle_ms: 60_000 } }, active_customers: 4, repeats: 1 }); // u1, u3, u4, u6
  });

  it('2026-03-29 (23 h): its first and last ms are inside, one ms either side is not', () => {
    expect(days.get('2026-03-28')!.aggregates.contacts).toEqual({ PHONE: { answered: 1, handle_ms: 1000 } });
    expect(days.get('2026-03-29')!.aggregates.contacts).toEqual({ PHONE: { answered: 2, handle_ms: 2000 } });
    expect(days.get('2026-03-30')!.aggregates.contacts).toEqual({ PHONE: { answered: 1, handle_ms: 1000 } });
    expect(days.get('2026-03-29')!.aggregates.active_customers).toBe(0);
  });

  it('a contract without a scope counts no failed journeys and no scoped switches', async () => {
    const other = await loadDayFacts(ledger.client, cfg, K2, ['2026-10-25']);
    expect(other.get('2026-10-25')!.aggregates).toMatchObject({ failed_journeys: 0, switches: 0, contacts: {}, active_customers: 0 });
  });

  it('refuses unsorted dates', async () => {
    await expect(loadDayFacts(ledger.client, cfg, K, ['2026-10-25', '2026-10-24'])).rejects.toThrow(/ascend/);
  });
});
