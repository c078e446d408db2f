// The stored form of timelines: what is written reads back as the same entries and priors, the
// JSON forms of earlier versions (positional arrays, objects) still read, and the binary form is
// much smaller than the JSON it replaced (the bytes Redis holds per active customer).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { PriorRef, TimelineEntry } from '@cxg/engine';
import { decodeTimeline, encodeTimeline } from '../src/entry-codec.ts';

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

  it('still reads timelines of JSON objects and of positional JSON entries, and reads no timeline as an empty one', () => {
    const objects = Buffer.from(`[${JSON.stringify(journey)},${JSON.stringify({ ...contact, prior })}]`);
    expect(decodeTimeline(contact.customer_id, objects)).toEqual({ entries: [journey, contact], priors: new Map([[contact.event_id, prior]]) });
    const positional = Buffer.from(JSON.stringify([
      ['j', journey.event_id, journey.id, 'billing', journey.started_at, journey.ended_at - journey.started_at],
      ['c', contact.event_id, contact.id, 'prov-a', 'PHONE', 'billing', contact.started_at, contact.ended_at - contact.started_at, ['j', prior.event_id, prior.id, 0, prior.ended_at]],
    ]));
    expect(decodeTimeline(contact.customer_id, positional)).toEqual({ entries: [journey, contact], priors: new Map([[contact.event_id, prior]]) });
    expect(decodeTimeline(contact.customer_id, null)).toEqual({ entries: [], priors: new Map() });
  });

  it('takes under 55 % of the bytes of the positional JSON form, a prior still in the timeline costing two bytes', () => {
    const positional = JSON.stringify([
      ['j', journey.event_id, journey.id, 'billing', journey.started_at, journey.ended_at - journey.started_at],
      ['c', contact.event_id, contact.id, 'prov-a', 'PHONE', 'billing', contact.started_at, contact.ended_at - contact.started_at, ['j', prior.event_id, prior.id, 0, prior.ended_at]],
    ]);
    const binary = encodeTimeline([journey, contact], new Map([[contact.event_id, prior]]));
    expect(binary.length).toBeLessThan(0.55 * Buffer.byteLength(positional));
    const withoutPrior = encodeTimeline([journey, contact], new Map([[contact.event_id, null]]));
    expect(binary.length - withoutPrior.length).toBe(1); // union branch and index: 2 bytes against null's 1
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
    const refOf = (e: TimelineEntry): PriorRef => ({ kind: e.kind, event_id: e.event_id, id: e.id, provider_id: e.provider_id, ended_at: e.ended_at });
    fc.assert(
      // several entries; each contact's prior is none, an arbitrary one, or one of the timeline's own entries
      fc.property(text, fc.array(fc.tuple(entry, priorRef, fc.nat()), { minLength: 1, maxLength: 6 }), (customer, drawn) => {
        const entries = drawn.map(([{ span, ...e }]) => ({ ...e, customer_id: customer, ended_at: e.started_at + span }) as TimelineEntry);
        const priors = new Map<string, PriorRef | null>();
        drawn.forEach(([, p, pick], i) => {
          if (entries[i]!.kind === 'contact' && !priors.has(entries[i]!.event_id)) priors.set(entries[i]!.event_id, pick % 3 === 0 ? refOf(entries[pick % entries.length]!) : p);
        });
        const decoded = decodeTimeline(customer, encodeTimeline(entries, priors));
        expect(decoded.entries).toEqual(entries);
        expect(decoded.priors).toEqual(priors);
      }),
      { numRuns: 2000 },
    );
  });
});
