// The stored form of timelines: what is written reads back as the same entries and priors, an
// entry written by an earlier version (a JSON object) still reads, and the positional form is
// much smaller than the object it replaced (the bytes Redis holds per active customer).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { PriorRef, TimelineEntry } from '@cxg/engine';
import { decodeTimeline, encodeEntry, encodeTimeline } from '../src/entry-codec.ts';

const contact: TimelineEntry = {
  kind: 'contact', event_id: 'run1-e-000123', id: 'run1-c-000123', customer_id: 'run1-cust-0042', provider_id: 'prov-a', channel: 'PHONE',
  family: 'billing', started_at: Date.UTC(2026, 10, 3, 9, 0), ended_at: Date.UTC(2026, 10, 3, 9, 7, 30),
};
const journey: TimelineEntry = {
  kind: 'journey', event_id: 'run1-e-000100', id: 'run1-s-000100', customer_id: 'run1-cust-0042', provider_id: null, channel: null,
  family: 'billing', started_at: Date.UTC(2026, 10, 3, 8, 0), ended_at: Date.UTC(2026, 10, 3, 8, 4),
};
const prior: PriorRef = { kind: 'journey', event_id: journey.event_id, id: journey.id, provider_id: null, ended_at: journey.ended_at };

describe('timeline entry codec', () => {
  it('reads back what it wrote: entries, and the prior of each contact (none, a journey, a contact)', () => {
    const repeat: PriorRef = { kind: 'contact', event_id: 'run1-e-000001', id: 'run1-c-000001', provider_id: 'prov-b', ended_at: journey.started_at - 1000 };
    const second = { ...contact, event_id: 'run1-e-000124', id: 'run1-c-000124' };
    const third = { ...contact, event_id: 'run1-e-000125', id: 'run1-c-000125' };
    const stored = encodeTimeline([journey, contact, second, third], new Map([[contact.event_id, prior], [second.event_id, null], [third.event_id, repeat]]));
    const { entries, priors } = decodeTimeline(contact.customer_id, stored);
    expect(entries).toEqual([journey, contact, second, third]);
    expect(priors).toEqual(new Map([[contact.event_id, prior], [second.event_id, null], [third.event_id, repeat]]));
  });

  it('still reads entries written as JSON objects, and reads no timeline as an empty one', () => {
    const old = `[${JSON.stringify(journey)},${JSON.stringify({ ...contact, prior })}]`;
    expect(decodeTimeline(contact.customer_id, old)).toEqual({ entries: [journey, contact], priors: new Map([[contact.event_id, prior]]) });
    expect(decodeTimeline(contact.customer_id, null)).toEqual({ entries: [], priors: new Map() });
  });

  it('takes under 45 % of the bytes of the JSON object form (316 → 127 and 222 → 87 here)', () => {
    for (const p of [prior, null]) expect(encodeEntry(contact, p).length).toBeLessThan(0.45 * JSON.stringify({ ...contact, prior: p }).length);
  });

  it('round-trips any entry (fast-check)', () => {
    const text = fc.string({ maxLength: 40 });
    const time = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
    const entry = fc.oneof(
      fc.record({ kind: fc.constant('contact' as const), event_id: text, id: text, provider_id: text, channel: fc.constantFrom('PHONE', 'CHAT', 'EMAIL', 'MESSAGING') as fc.Arbitrary<TimelineEntry['channel']>, family: text, started_at: time, span: fc.integer({ min: 0, max: 86_400_000 }) }),
      fc.record({ kind: fc.constant('journey' as const), event_id: text, id: text, provider_id: fc.constant(null), channel: fc.constant(null), family: text, started_at: time, span: fc.integer({ min: 0, max: 86_400_000 }) }),
    );
    const priorRef = fc.option(fc.oneof(
      fc.record({ kind: fc.constant('contact' as const), event_id: text, id: text, provider_id: text, ended_at: time }),
      fc.record({ kind: fc.constant('journey' as const), event_id: text, id: text, provider_id: fc.constant(null), ended_at: time }),
    ));
    fc.assert(
      fc.property(text, entry, priorRef, (customer, { span, ...e }, p) => {
        const full = { ...e, customer_id: customer, ended_at: e.started_at + span } as TimelineEntry;
        const { entries, priors } = decodeTimeline(customer, encodeTimeline([full], new Map([[full.event_id, p]])));
        expect(entries).toEqual([full]);
        if (full.kind === 'contact') expect(priors.get(full.event_id)).toEqual(p);
        else expect(priors.size).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });
});
