import type { ContactEvent } from '@cxg/engine';
import { INPUT_TOPICS, TOPICS } from '@cxg/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { simulate, type SimRun } from '../src/index.ts';
import { countBy, options, parseValid, type Parsed } from './helpers.ts';

const TWO_MINUTES = 120_000;

describe('clean traffic (ratios 0)', () => {
  let run: SimRun;
  let p: Parsed;
  beforeAll(() => {
    run = simulate(options({ customers: 3000, inhouse: true }));
    p = parseValid(run);
  });

  it('is valid per docs/events.md with unique event_ids and contact_ids', () => {
    expect(p.events.length).toBe(run.stats.total);
    expect(new Set(p.events.map((e) => e.event.event_id)).size).toBe(p.events.length);
    expect(new Set(p.contacts.map((c) => c.contact_id)).size).toBe(p.contacts.length);
    expect(new Set(p.web.map((w) => w.session_id)).size).toBe(p.web.length);
    expect(run.stats.bad + run.stats.duplicates + run.stats.duplicateContactIds).toBe(0);
  });

  it('covers all three input topics and counts them', () => {
    const byTopic = countBy(p.events, (e) => e.topic);
    for (const topic of INPUT_TOPICS) {
      expect(byTopic.get(topic) ?? 0).toBeGreaterThan(100);
      expect(run.stats.records[topic]).toBe(byTopic.get(topic));
    }
  });

  it('keys records by customer_id, anonymous journeys by session_id', () => {
    for (const { topic, key, event } of p.events) {
      const expected = topic === TOPICS.web && event.customer_id === null ? (event as { session_id: string }).session_id : event.customer_id;
      expect(key).toBe(expected);
    }
  });

  it('keeps every timestamp inside the simulated period', () => {
    const { startMs, endMs } = run.config;
    for (const c of p.contacts) expect(c.started_at >= startMs && c.ended_at < endMs).toBe(true);
    for (const w of p.web) expect(w.started_at >= startMs && w.ended_at < endMs).toBe(true);
    for (const u of p.customers) expect(u.occurred_at >= startMs && u.occurred_at < endMs).toBe(true);
    expect(run.stats.firstEventMs).toBeGreaterThanOrEqual(startMs);
    expect(run.stats.lastEventMs).toBeLessThan(endMs);
  });

  it('arrives roughly in event-time order, never later than 2 minutes behind', () => {
    let maxSeen = -Infinity;
    let maxLate = 0;
    let outOfOrder = 0;
    for (const { topic, event } of p.events) {
      const t = topic === TOPICS.customers ? (event as { occurred_at: number }).occurred_at : (event as { ended_at: number }).ended_at;
      if (t < maxSeen) outOfOrder++;
      maxLate = Math.max(maxLate, maxSeen - t);
      maxSeen = Math.max(maxSeen, t);
    }
    expect(maxLate).toBeLessThan(TWO_MINUTES);
    // Some realistic disorder exists, but it is the exception.
    expect(outOfOrder).toBeGreaterThan(0);
    expect(outOfOrder / p.events.length).toBeLessThan(0.2);
  });

  it('activates every customer before its first contact or journey, in time and in file order', () => {
    const activated = new Map<string, number>();
    for (const { topic, event } of p.events) {
      if (topic === TOPICS.customers) {
        const u = event as { type: string; occurred_at: number };
        if (u.type === 'ACTIVATED' && !activated.has(event.customer_id as string)) activated.set(event.customer_id as string, u.occurred_at);
        continue;
      }
      if (event.customer_id === null) continue;
      const at = activated.get(event.customer_id);
      expect(at, `${event.customer_id} used before activation`).toBeDefined();
      expect((event as { started_at: number }).started_at).toBeGreaterThan(at ?? Infinity);
    }
  });

  it('moves customers between portfolios: DEACTIVATED at one provider, then ACTIVATED at another', () => {
    const byCustomer = new Map<string, Array<{ type: string; provider_id: string; occurred_at: number }>>();
    for (const u of p.customers) byCustomer.set(u.customer_id, [...(byCustomer.get(u.customer_id) ?? []), u]);
    let moves = 0;
    for (const events of byCustomer.values()) {
      for (let i = 1; i < events.length; i++) {
        const [a, b] = [events[i - 1], events[i]];
        if (a?.type === 'DEACTIVATED' && b?.type === 'ACTIVATED') {
          expect(b.provider_id).not.toBe(a.provider_id);
          expect(b.occurred_at).toBeGreaterThan(a.occurred_at);
          moves++;
        }
      }
    }
    expect(moves).toBeGreaterThan(0);
    expect(p.customers.some((u) => u.won_by_provider)).toBe(true);
    expect(new Set(p.customers.map((u) => u.provider_id))).toEqual(new Set(['prov-a', 'prov-b', 'prov-c', 'inhouse']));
  });

  it('models abandon, waits, CSAT and sales as docs/events.md defines them', () => {
    const abandoned = p.contacts.filter((c) => c.outcome === 'ABANDONED');
    const answered = p.contacts.filter((c) => c.answered_at !== null);
    for (const c of abandoned) expect([c.answered_at, c.csat, c.sale_cents]).toEqual([null, null, 0]);
    const abandonRate = abandoned.length / p.contacts.length;
    expect(abandonRate).toBeGreaterThan(0.01);
    expect(abandonRate).toBeLessThan(0.15);
    const phoneWaits = answered.filter((c) => c.channel === 'PHONE').map((c) => (c.answered_at ?? 0) - c.started_at);
    const slow = phoneWaits.filter((w) => w > 20_000).length / phoneWaits.length;
    expect(slow).toBeGreaterThan(0.1);
    expect(slow).toBeLessThan(0.6);
    const withCsat = answered.filter((c) => c.csat !== null);
    expect(withCsat.length / answered.length).toBeGreaterThan(0.1);
    expect(withCsat.length / answered.length).toBeLessThan(0.5);
    expect(new Set(withCsat.map((c) => c.csat))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(answered.some((c) => c.sale_cents > 0)).toBe(true);
    expect(new Set(p.contacts.map((c) => c.outcome))).toEqual(new Set(['RESOLVED', 'UNRESOLVED', 'TRANSFERRED', 'ABANDONED']));
  });

  it('mixes channels PHONE-heavy and routes mostly to the portfolio provider', () => {
    const channels = countBy(p.contacts, (c) => c.channel);
    const phone = channels.get('PHONE') ?? 0;
    for (const ch of ['CHAT', 'EMAIL', 'MESSAGING']) {
      expect(channels.get(ch) ?? 0).toBeGreaterThan(0);
      expect(channels.get(ch) ?? 0).toBeLessThan(phone);
    }
    const portfolio = new Map<string, string>();
    let own = 0;
    for (const { topic, event } of p.events) {
      if (topic === TOPICS.customers) portfolio.set(event.customer_id as string, (event as { provider_id: string }).provider_id);
      else if (topic === TOPICS.contacts && portfolio.get(event.customer_id as string) === (event as ContactEvent).provider_id) own++;
    }
    expect(own / p.contacts.length).toBeGreaterThan(0.8);
    expect(countBy(p.contacts, (c) => c.provider_id).get('inhouse') ?? 0).toBeGreaterThan(0);
  });

  it('produces customer and anonymous web journeys with every outcome', () => {
    const anonymous = p.web.filter((w) => w.customer_id === null);
    expect(anonymous.length).toBeGreaterThan(0);
    expect(anonymous.length).toBeLessThan(p.web.length);
    expect(new Set(p.web.map((w) => w.outcome))).toEqual(new Set(['COMPLETED', 'FAILED', 'ABANDONED']));
    for (const w of p.web) expect(w.error_code === null).toBe(w.outcome !== 'FAILED');
  });

  it('follows a daily pattern: business hours are busier than the night', () => {
    const hourOf = (ms: number) => new Date(ms + 3_600_000).getUTCHours(); // CET in November
    const hours = countBy(p.contacts, (c) => String(hourOf(c.started_at)));
    const at = (h: number) => hours.get(String(h)) ?? 0;
    expect(at(10) + at(14)).toBeGreaterThan(5 * (at(2) + at(4) + 1));
  });
});
