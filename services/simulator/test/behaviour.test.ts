import type { ContactEvent } from '@cxg/engine';
import { family, replay } from '@cxg/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../src/index.ts';
import { countBy, NOW, options, parseValid, type Parsed } from './helpers.ts';

const DAY = 86_400_000;

/**
 * Same-family re-contacts within 7 days, charged to the provider of the latest earlier answered
 * contact (the docs/detection.md rule, counted independently of the engine).
 */
function repeatRates(contacts: readonly ContactEvent[]): Map<string, number> {
  const answered = contacts.filter((c) => c.answered_at !== null);
  const byCustomer = new Map<string, ContactEvent[]>();
  for (const c of answered) byCustomer.set(c.customer_id, [...(byCustomer.get(c.customer_id) ?? []), c]);
  const repeats = new Map<string, number>();
  for (const list of byCustomer.values()) {
    for (const b of list) {
      const priors = list.filter((a) => a !== b && family(a.intent) === family(b.intent) && a.ended_at <= b.started_at && b.started_at <= a.ended_at + 7 * DAY);
      const prior = priors.sort((x, y) => y.ended_at - x.ended_at)[0];
      if (prior) repeats.set(prior.provider_id, (repeats.get(prior.provider_id) ?? 0) + 1);
    }
  }
  const handled = countBy(answered, (c) => c.provider_id);
  return new Map([...handled].map(([p, n]) => [p, (repeats.get(p) ?? 0) / n]));
}

describe('behaviour', () => {
  let p: Parsed;
  beforeAll(() => {
    p = parseValid(simulate(options({ customers: 4000, days: 10, seed: 11 })));
  });

  it('gives providers clearly different repeat propensities (prov-a best, prov-b worst)', () => {
    const rates = repeatRates(p.contacts);
    const [a, b, c] = ['prov-a', 'prov-b', 'prov-c'].map((id) => rates.get(id) ?? NaN) as [number, number, number];
    expect(b).toBeGreaterThan(1.6 * a);
    expect(c).toBeGreaterThan(a);
    expect(b).toBeGreaterThan(c);
    expect(a).toBeGreaterThan(0.03);
    expect(b).toBeLessThan(0.45);
  });

  it('makes customers call within hours after a failed or abandoned journey of the same family', () => {
    const switched = p.web.filter((w) => w.customer_id !== null && w.outcome !== 'COMPLETED');
    const calls = p.contacts.filter((c) => c.channel === 'PHONE');
    const followed = switched.filter((w) =>
      calls.some(
        (c) => c.customer_id === w.customer_id && family(c.intent) === family(w.journey) && c.started_at >= w.ended_at && c.started_at <= w.ended_at + DAY,
      ),
    );
    expect(switched.length).toBeGreaterThan(100);
    const share = followed.length / switched.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.8);
    // Completed journeys rarely lead to a call.
    const completed = p.web.filter((w) => w.customer_id !== null && w.outcome === 'COMPLETED');
    const calledAfterSuccess = completed.filter((w) =>
      calls.some((c) => c.customer_id === w.customer_id && family(c.intent) === family(w.journey) && c.started_at >= w.ended_at && c.started_at <= w.ended_at + DAY),
    );
    expect(calledAfterSuccess.length / completed.length).toBeLessThan(share / 3);
  });

  it('varies journey failure by family', () => {
    const failure = new Map<string, number>();
    const byFamily = countBy(p.web, (w) => family(w.journey));
    for (const [f, n] of countBy(p.web.filter((w) => w.outcome === 'FAILED'), (w) => family(w.journey))) failure.set(f, n / (byFamily.get(f) ?? 1));
    expect(failure.get('tech') ?? 0).toBeGreaterThan(2 * (failure.get('device') ?? 1));
  });

  it("yields the engine's REPEAT_CONTACT and CHANNEL_SWITCH signals in the same provider order", () => {
    const run = simulate(options({ customers: 4000, days: 10, seed: 11 }));
    const result = replay(
      [...run].map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })),
      { nowMs: NOW },
    );
    expect(result.rejected).toEqual([]);
    expect(result.duplicates).toBe(0);
    const kinds = countBy(result.signals, (s) => s.kind);
    expect(kinds.get('CHANNEL_SWITCH') ?? 0).toBeGreaterThan(50);
    const repeats = countBy(result.signals.filter((s) => s.kind === 'REPEAT_CONTACT'), (s) => s.prior_provider_id ?? '');
    const answered = countBy(p.contacts.filter((c) => c.answered_at !== null), (c) => c.provider_id);
    const rate = (id: string) => (repeats.get(id) ?? 0) / (answered.get(id) ?? 1);
    expect(rate('prov-b')).toBeGreaterThan(rate('prov-c'));
    expect(rate('prov-c')).toBeGreaterThan(rate('prov-a'));
  });
});
