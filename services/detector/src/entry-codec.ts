/**
 * How versions before the one-string state (state-codec.ts) stored a customer's timeline, read by
 * legacy-state.ts while a customer has no state yet. It was one binary string: a format byte, then
 * the entries as Avro binary (avsc; zigzag varints and length-prefixed strings, no field names),
 * with no customer id (the key holds it), start times delta-coded from the entry before, the
 * duration instead of a second timestamp, and a contact's prior as the index of the entry it
 * refers to whenever that entry is still in the timeline (else in full):
 *
 *   0x01, array of union {
 *     Contact { event_id, id, provider_id, channel, family, start Δ, duration, prior: null | int index | FullPrior }
 *     Journey { event_id, id, family, start Δ, duration }
 *   }
 *   FullPrior { journey: boolean, event_id, id, provider_id: null | string, gap (contact start − prior end) }
 *
 * Timelines of the versions before that are JSON: an
 * array of positional entries
 *   contact: ["c", event_id, contact_id, provider_id, channel, family, started_at, ended_at − started_at, prior]
 *   journey: ["j", event_id, session_id, family, started_at, ended_at − started_at]
 *   prior:   0 (none) or [kind "c"|"j", event_id, id, provider_id or 0, ended_at]
 * or, before that, of JSON objects.
 */
import avro from 'avsc';
import type { Channel, PriorRef, TimelineEntry } from '@cxg/engine';

type StoredPrior = 0 | [kind: 'c' | 'j', eventId: string, id: string, provider: string | 0, endedAt: number];
type StoredContact = [kind: 'c', eventId: string, id: string, provider: string, channel: Channel, family: string, startedAt: number, durationMs: number, prior: StoredPrior];
type StoredJourney = [kind: 'j', eventId: string, id: string, family: string, startedAt: number, durationMs: number];

const FORMAT_AVRO = 0x01;

/** Fields both kinds of entry start and end with, in this order on the wire. */
const ID_FIELDS = [
  { name: 'event_id', type: 'string' },
  { name: 'id', type: 'string' },
];
const SPAN_FIELDS = [
  { name: 'start', type: 'long' },
  { name: 'duration', type: 'long' },
];

const timelineType = avro.Type.forSchema(
  {
    type: 'array',
    items: [
      {
        type: 'record',
        name: 'Contact',
        fields: [
          ...ID_FIELDS,
          { name: 'provider_id', type: 'string' },
          { name: 'channel', type: 'string' },
          { name: 'family', type: 'string' },
          ...SPAN_FIELDS,
          {
            name: 'prior',
            type: [
              'null',
              'int',
              {
                type: 'record',
                name: 'FullPrior',
                fields: [
                  { name: 'journey', type: 'boolean' },
                  { name: 'event_id', type: 'string' },
                  { name: 'id', type: 'string' },
                  { name: 'provider_id', type: ['null', 'string'] },
                  { name: 'gap', type: 'long' },
                ],
              },
            ],
          },
        ],
      },
      {
        type: 'record',
        name: 'Journey',
        fields: [...ID_FIELDS, { name: 'family', type: 'string' }, ...SPAN_FIELDS],
      },
    ],
  },
  { wrapUnions: true },
);

interface FullPrior {
  journey: boolean;
  event_id: string;
  id: string;
  provider_id: null | { string: string };
  gap: number;
}
type Wrapped =
  | { Contact: { event_id: string; id: string; provider_id: string; channel: string; family: string; start: number; duration: number; prior: null | { int: number } | { FullPrior: FullPrior } } }
  | { Journey: { event_id: string; id: string; family: string; start: number; duration: number } };

function decodeAvro(customer: string, stored: Buffer): { entries: TimelineEntry[]; priors: Map<string, PriorRef | null> } {
  const wrapped = timelineType.fromBuffer(stored.subarray(1)) as Wrapped[];
  const entries: TimelineEntry[] = [];
  let start = 0;
  for (const w of wrapped) {
    if ('Journey' in w) {
      const j = w.Journey;
      start += j.start;
      entries.push({ kind: 'journey', event_id: j.event_id, id: j.id, customer_id: customer, provider_id: null, channel: null, family: j.family, started_at: start, ended_at: start + j.duration });
    } else {
      const c = w.Contact;
      start += c.start;
      entries.push({ kind: 'contact', event_id: c.event_id, id: c.id, customer_id: customer, provider_id: c.provider_id, channel: c.channel as Channel, family: c.family, started_at: start, ended_at: start + c.duration });
    }
  }
  const priors = new Map<string, PriorRef | null>();
  wrapped.forEach((w, i) => {
    if (!('Contact' in w)) return;
    const p = w.Contact.prior;
    const e = entries[i]!;
    if (p === null) priors.set(e.event_id, null);
    else if ('int' in p) {
      const ref = entries[p.int]!;
      priors.set(e.event_id, { kind: ref.kind, event_id: ref.event_id, id: ref.id, provider_id: ref.provider_id, ended_at: ref.ended_at });
    } else {
      const f = p.FullPrior;
      priors.set(e.event_id, { kind: f.journey ? 'journey' : 'contact', event_id: f.event_id, id: f.id, provider_id: f.provider_id === null ? null : f.provider_id.string, ended_at: e.started_at - f.gap });
    }
  });
  return { entries, priors };
}

function decodePrior(p: StoredPrior): PriorRef | null {
  if (p === 0) return null;
  const [kind, event_id, id, provider, ended_at] = p;
  return { kind: kind === 'c' ? 'contact' : 'journey', event_id, id, provider_id: provider === 0 ? null : provider, ended_at };
}

/** A stored timeline (null: none) back as entries, and the prior each stored contact found. */
export function decodeTimeline(customer: string, stored: Buffer | null): { entries: TimelineEntry[]; priors: Map<string, PriorRef | null> } {
  const entries: TimelineEntry[] = [];
  const priors = new Map<string, PriorRef | null>();
  if (stored === null || stored.length === 0) return { entries, priors };
  if (stored[0] === FORMAT_AVRO) return decodeAvro(customer, stored);
  for (const v of JSON.parse(stored.toString()) as Array<StoredContact | StoredJourney | (TimelineEntry & { prior?: PriorRef | null })>) {
    if (!Array.isArray(v)) {
      // written before the positional form
      const { prior, ...entry } = v;
      entries.push(entry);
      if (entry.kind === 'contact') priors.set(entry.event_id, prior ?? null);
    } else if (v[0] === 'c') {
      const [, event_id, id, provider_id, channel, family, started_at, duration, prior] = v;
      entries.push({ kind: 'contact', event_id, id, customer_id: customer, provider_id, channel, family, started_at, ended_at: started_at + duration });
      priors.set(event_id, decodePrior(prior));
    } else {
      const [, event_id, id, family, started_at, duration] = v;
      entries.push({ kind: 'journey', event_id, id, customer_id: customer, provider_id: null, channel: null, family, started_at, ended_at: started_at + duration });
    }
  }
  return { entries, priors };
}
