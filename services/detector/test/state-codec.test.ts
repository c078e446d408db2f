// The stored form of a customer's state: what is written reads back as the same markers, entries
// and priors, whatever the ids (any Unicode, shared prefixes split anywhere), and it is small.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { PriorRef, TimelineEntry } from '@cxg/engine';
import { CustomerState, contactIdKey, decodeState, encodeState, eventKey } from '../src/index.ts';

const refOf = (e: TimelineEntry): PriorRef => ({ kind: e.kind, event_id: e.event_id, id: e.id, provider_id: e.provider_id, ended_at: e.ended_at });
const view = (s: CustomerState) => ({ events: [...s.events], contactIds: [...s.contactIds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), entries: s.entries, priors: [...s.priors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) });

describe('customer state codec', () => {
  it('round-trips any state (fast-check): markers, contact_ids with or without their owner, entries and priors', () => {
    // ids that share prefixes, with astral characters so a prefix may end inside a surrogate pair
    const text = fc.oneof(fc.string({ maxLength: 30, unit: 'binary' }), fc.constantFrom('ev-1', 'ev-12', 'ev-13', '😀a', '😀b', '😁'));
    const time = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
    const entry = fc.oneof(
      fc.record({ kind: fc.constant('contact' as const), event_id: text, id: text, provider_id: text, channel: fc.constantFrom('PHONE', 'CHAT', 'EMAIL') as fc.Arbitrary<TimelineEntry['channel']>, family: text, started_at: time, span: fc.integer({ min: 0, max: 86_400_000 }) }),
      fc.record({ kind: fc.constant('journey' as const), event_id: text, id: text, provider_id: fc.constant(null), channel: fc.constant(null), family: text, started_at: time, span: fc.integer({ min: 0, max: 86_400_000 }) }),
    );
    const priorRef = fc.option(fc.oneof(
      fc.record({ kind: fc.constant('contact' as const), event_id: text, id: text, provider_id: text, ended_at: time }),
      fc.record({ kind: fc.constant('journey' as const), event_id: text, id: text, provider_id: fc.constant(null), ended_at: time }),
    ));
    const marker = fc.record({ journey: fc.boolean(), eventId: text, contactId: text, partition: fc.nat(64), offset: fc.nat(2 ** 40) });
    fc.assert(
      fc.property(text, fc.array(marker, { maxLength: 8 }), fc.array(fc.tuple(text, text), { maxLength: 3 }), fc.array(fc.tuple(entry, priorRef, fc.nat()), { maxLength: 6 }), (customer, markers, orphans, drawn) => {
        const s = new CustomerState();
        for (const m of markers) s.accept(m.journey ? 'journey' : 'contact', m.eventId, m.journey ? null : m.contactId, { partition: m.partition, offset: m.offset });
        // a contact_id whose owner has no marker of its own
        for (const [contactId, owner] of orphans) if (s.acceptedAt('contact', owner) === null) s.contactIds.set(contactIdKey(contactId), eventKey('contact', owner));
        const entries = drawn.map(([{ span, ...e }]) => ({ ...e, customer_id: customer, ended_at: e.started_at + span }) as TimelineEntry);
        s.setEntries(entries);
        drawn.forEach(([, p, pick], i) => {
          if (entries[i]!.kind === 'contact' && !s.priors.has(entries[i]!.event_id)) s.priors.set(entries[i]!.event_id, pick % 3 === 0 ? refOf(entries[pick % entries.length]!) : p);
        });
        expect(view(decodeState(customer, encodeState(customer, s)))).toEqual(view(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('stores a typical customer in under 240 bytes: 6 accepted records, 4 of them in the timeline, ids of one source', () => {
    const tag = 'benchmx6orlxj-ev-fefff540-';
    const s = new CustomerState();
    const entries: TimelineEntry[] = [];
    for (let i = 0; i < 6; i++) {
      const contact = i % 2 === 0;
      const eventId = `${tag}${104_230 + i * 5_417}`;
      s.accept(contact ? 'contact' : 'journey', eventId, contact ? `benchmx6orlxj-ct-fefff540-${80_000 + i * 3_001}` : null, { partition: 3, offset: 52_000 + i * 3_900 });
      if (i < 2) continue;
      const started = Date.UTC(2026, 10, 3) + i * 7_200_000;
      entries.push(contact
        ? { kind: 'contact', event_id: eventId, id: `benchmx6orlxj-ct-fefff540-${80_000 + i * 3_001}`, customer_id: 'benchmx6orlxj-cust-004711', provider_id: 'prov-a', channel: 'PHONE', family: 'billing', started_at: started, ended_at: started + 420_000 }
        : { kind: 'journey', event_id: eventId, id: `benchmx6orlxj-ws-fefff540-${60_000 + i * 2_100}`, customer_id: 'benchmx6orlxj-cust-004711', provider_id: null, channel: null, family: 'billing', started_at: started, ended_at: started + 180_000 });
    }
    s.setEntries(entries);
    s.priors.set(entries[0]!.event_id, null);
    s.priors.set(entries[2]!.event_id, refOf(entries[1]!));
    const stored = encodeState('benchmx6orlxj-cust-004711', s);
    expect(stored.length).toBeLessThan(240); // 321 with a hash per marker and ids front-coded across kinds
    expect(view(decodeState('benchmx6orlxj-cust-004711', stored))).toEqual(view(s));
  });
});
