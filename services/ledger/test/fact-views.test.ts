/**
 * loadFactViews on a real embedded ClickHouse: many views (dates × arrival cuts) read in one query
 * give, view by view, exactly what each view gives read alone, and the late facts are exactly the
 * stored facts that arrived after their own day's cut (end of the day plus L). Facts are random (seeded) over a
 * week of Europe/Berlin days with random arrivals, so a cut splits every part: contacts, signals,
 * journeys, won and active customers (a customer's later event arriving after an earlier cut).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, endOfLocalDay, localDateOf, type InputEvent, type InputTopic, type JourneySignal } from '@cxg/engine';
import { insertFacts, insertSignals } from '../src/facts.ts';
import { loadDayFacts, loadFactViews, type FactView } from '../src/aggregate.ts';
import { config, contact, customer, journey, signal, tempLedger, utc } from '../src/testing.ts';

const cfg = config(`
timezone: Europe/Berlin
detection: {allowed_lateness: 10m}
contracts:
  - id: k
    provider_id: p
    valid_from: 2026-10-01
    valid_to: 2026-12-31
    scope: {intent_families: [billing]}
    transactional: {per_contact_cents: {PHONE: 100}}
`);
const K = cfg.contracts[0]!;
const L = cfg.detection.allowed_lateness_ms;
const DATES = ['2026-10-23', '2026-10-24', '2026-10-25', '2026-10-26', '2026-10-27', '2026-10-28', '2026-10-29'];
const FROM = utc('2026-10-22T22:00:00Z');
const SPAN = 7 * 86_400_000;

// mulberry32: the same facts on every run
let seed = 20261203;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const at = () => FROM - 86_400_000 + Math.floor(rnd() * (SPAN + 86_400_000));
/** On time (within L) for most, up to three days late for some. */
const arrival = (t: number) => t + (rnd() < 0.6 ? Math.floor(rnd() * L) : Math.floor(rnd() * 3 * 86_400_000));

const facts: Array<{ topic: InputTopic; event: InputEvent; source: string; arrivedMs: number }> = [];
const signals: JourneySignal[] = [];
const arrivals = new Map<string, number>();
const late: Array<{ kind: string; id: string; t: number; arrived_ms: number }> = [];
const note = (kind: string, id: string, t: number, a: number) => late.push({ kind, id, t, arrived_ms: a });
for (let i = 0; i < 400; i++) {
  const t = at();
  const a = arrival(t);
  const answered = rnd() < 0.8;
  const e = contact({ ended_at: t, answered_at: answered ? t - 60_000 : null, channel: pick(['PHONE', 'CHAT', 'EMAIL'] as const), csat: pick([null, 2, 4, 5]), sale_cents: pick([0, 0, 500]) });
  facts.push({ topic: TOPICS.contacts, event: e, source: `c/0/${i}`, arrivedMs: a });
  note('contact', e.event_id, t, a);
}
for (let i = 0; i < 150; i++) {
  const t = at();
  const a = arrival(t);
  const j = journey({ ended_at: t, outcome: pick(['FAILED', 'ABANDONED', 'COMPLETED'] as const), customer_id: pick(['u1', 'u2', null]) });
  facts.push({ topic: TOPICS.web, event: j, source: `w/0/${i}`, arrivedMs: a });
  if (j.customer_id !== null && j.outcome !== 'COMPLETED') note('journey', j.event_id, t, a);
}
for (let i = 0; i < 200; i++) {
  const t = at();
  const a = arrival(t);
  const c = customer({ customer_id: `u${i % 40}`, occurred_at: t, type: pick(['ACTIVATED', 'ACTIVATED', 'DEACTIVATED'] as const), provider_id: pick(['p', 'p', 'q']), won_by_provider: rnd() < 0.3 });
  facts.push({ topic: TOPICS.customers, event: c, source: `u/0/${i}`, arrivedMs: a });
  note('customer', c.event_id, t, a);
}
for (let i = 0; i < 150; i++) {
  const t = at();
  const a = arrival(t);
  const s = signal({ contact_ended_at: t, kind: pick(['REPEAT_CONTACT', 'CHANNEL_SWITCH'] as const), prior_provider_id: pick(['p', 'q', null]), contact_provider_id: pick(['p', 'q']) });
  signals.push(s);
  arrivals.set(s.signal_id, a);
  note('signal', s.signal_id, t, a);
}

let ledger: Awaited<ReturnType<typeof tempLedger>>;
beforeAll(async () => {
  ledger = await tempLedger('fact-views');
  await insertFacts(ledger.client, facts, 1n);
  await insertSignals(ledger.client, signals, 1n, arrivals);
}, 60_000);
afterAll(async () => ledger?.close());

describe('loadFactViews: every view in one query', () => {
  it('each of 30 random views (some sharing a cut, some without one) equals that view read alone', async () => {
    const cuts = [undefined, ...Array.from({ length: 6 }, () => FROM + Math.floor(rnd() * (SPAN + 2 * 86_400_000)))];
    const views: FactView[] = Array.from({ length: 30 }, () => ({ dates: DATES.filter(() => rnd() < 0.5), arrivedBefore: pick(cuts) }));
    const together = await loadFactViews(ledger.client, cfg, K, views);
    let nonEmpty = 0;
    for (const [i, v] of views.entries()) {
      const alone = await loadDayFacts(ledger.client, cfg, K, v.dates, v.arrivedBefore);
      expect(together.views[i], `view ${i}: ${v.dates.join(',')} before ${v.arrivedBefore}`).toEqual(alone);
      for (const d of alone.values()) if (d.aggregates.active_customers !== 0 || Object.keys(d.aggregates.contacts).length > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(20); // the views see facts: the comparison is not of empty days
    expect(together.late).toEqual([]);
  });

  it('a cut counts exactly the facts that arrived before it', async () => {
    const cut = FROM + 3 * 86_400_000;
    const [all, before] = (await loadFactViews(ledger.client, cfg, K, [{ dates: DATES }, { dates: DATES, arrivedBefore: cut }])).views;
    const answered = (m: typeof all) => [...m!.values()].reduce((n, d) => n + Object.values(d.aggregates.contacts).reduce((s, c) => s + Number(c!.answered), 0), 0);
    const inWeek = (e: InputEvent) => (e as { ended_at: number }).ended_at >= FROM && (e as { ended_at: number }).ended_at < FROM + SPAN;
    const contacts = facts.filter((f) => f.topic === TOPICS.contacts && inWeek(f.event) && (f.event as { answered_at: number | null }).answered_at !== null);
    expect(answered(all)).toBe(contacts.length);
    expect(answered(before)).toBe(contacts.filter((f) => f.arrivedMs < cut).length);
    expect(answered(before)).toBeLessThan(answered(all));
  });

  it('with late: the facts that arrived after their own day\'s cut (a customer event: the first day\'s), in arrival order, from the same query', async () => {
    const got = await loadFactViews(ledger.client, cfg, K, [{ dates: DATES }], { late: true });
    const hi = FROM + SPAN;
    const want = late
      .filter((f) => (f.kind === 'customer' ? f.t < hi : f.t >= FROM && f.t < hi))
      .filter((f) => f.arrived_ms >= endOfLocalDay(f.kind === 'customer' ? DATES[0]! : localDateOf(f.t, 'Europe/Berlin'), 'Europe/Berlin') + L)
      .filter((f) => {
        if (f.kind === 'contact') return true;
        if (f.kind === 'signal') {
          const s = signals.find((x) => x.signal_id === f.id)!;
          return s.prior_provider_id === 'p' || s.contact_provider_id === 'p' || s.intent_family === 'billing';
        }
        if (f.kind === 'journey') return (facts.find((x) => (x.event as { event_id: string }).event_id === f.id)!.event as { journey: string }).journey.startsWith('billing');
        return true;
      })
      .sort((a, b) => a.arrived_ms - b.arrived_ms || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.id < b.id ? -1 : 1));
    expect(want.length).toBeGreaterThan(50);
    expect(got.late).toEqual(want);
    expect(got.views[0]).toEqual(await loadDayFacts(ledger.client, cfg, K, DATES));
  });
});
