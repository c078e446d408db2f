/**
 * How a customer's whole detector state (customer-state.ts) is stored: one Redis string per
 * customer, because Redis holds it for every customer active within the dedupe TTL and each key
 * costs Redis about 80 bytes before its value. A format byte, then Avro binary (avsc: zigzag
 * varints and length-prefixed strings, no field names):
 *
 *   0x02, State {
 *     names:   array of string                               providers, channels and families of the entries
 *     entries: array of union {
 *       Contact { event_id: Text, id: Text, provider, channel, family, start Δ, duration, prior: null | int index | FullPrior }
 *       Journey { event_id: Text, id: Text, family, start Δ, duration }
 *     }
 *     markers: array of { event: int index | ContactEvent fixed(8) | JourneyEvent fixed(8), partition, offset Δ,
 *                         contact_id: null | true | IdHash fixed(8) }
 *     orphans: array of { contact_id: IdHash, owner: ContactEvent }   a contact_id whose owner has no marker
 *   }
 *   Text { shared, rest }   front-coded: the first `shared` characters of the one before (see below)
 *
 * Entries carry no customer id (the key holds it), provider, channel and family as indexes into
 * `names`, start times delta-coded from the entry before, the duration instead of a second
 * timestamp, and a contact's prior as the index of the entry it refers to whenever that entry is
 * still in the timeline. Ids are front-coded: an event_id against the entry before's, a contact_id
 * or session_id against the one of the entry of its kind before, the first of each against the
 * customer id (ids of one source mostly share a long prefix).
 *
 * A marker of an event still in the timeline names that entry (its hash and, with `true`, its
 * contact_id's hash are the entry's ids hashed again when read); others carry the 64-bit hash of
 * the event_id (the union branch says contact or journey) and of the contact_id. Offsets are
 * delta-coded from the marker before.
 */
import avro from 'avsc';
import type { Channel, PriorRef, TimelineEntry } from '@cxg/engine';
import { CustomerState, contactIdKey, eventKey } from './customer-state.ts';

const FORMAT_STATE = 0x02;

const text: avro.Schema = { type: 'record', name: 'Text', fields: [{ name: 'shared', type: 'int' }, { name: 'rest', type: 'string' }] };
const span: Array<{ name: string; type: avro.Schema }> = [
  { name: 'start', type: 'long' },
  { name: 'duration', type: 'long' },
];

const idHash = (name: string) => ({ type: 'fixed' as const, name, size: 8 });

const stateSchema: avro.Schema = {
    type: 'record',
    name: 'State',
    fields: [
      { name: 'names', type: { type: 'array', items: 'string' } },
      {
        name: 'entries',
        type: {
          type: 'array',
          items: [
            {
              type: 'record',
              name: 'Contact',
              fields: [
                { name: 'event_id', type: text },
                { name: 'id', type: 'Text' },
                { name: 'provider', type: 'int' },
                { name: 'channel', type: 'int' },
                { name: 'family', type: 'int' },
                ...span,
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
            { type: 'record', name: 'Journey', fields: [{ name: 'event_id', type: 'Text' }, { name: 'id', type: 'Text' }, { name: 'family', type: 'int' }, ...span] },
          ],
        },
      },
      {
        name: 'markers',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'Marker',
            fields: [
              { name: 'event', type: ['int', idHash('ContactEvent'), idHash('JourneyEvent')] },
              { name: 'partition', type: 'int' },
              { name: 'offset', type: 'long' },
              { name: 'contact_id', type: ['null', 'boolean', idHash('IdHash')] },
            ],
          },
        },
      },
      { name: 'orphans', type: { type: 'array', items: { type: 'record', name: 'Orphan', fields: [{ name: 'contact_id', type: 'IdHash' }, { name: 'owner', type: 'ContactEvent' }] } } },
    ],
};
const stateType = avro.Type.forSchema(stateSchema, { wrapUnions: true });

interface Text {
  shared: number;
  rest: string;
}
interface FullPrior {
  journey: boolean;
  event_id: string;
  id: string;
  provider_id: null | { string: string };
  gap: number;
}
type Prior = null | { int: number } | { FullPrior: FullPrior };
type MarkedEvent = { int: number } | { ContactEvent: Buffer } | { JourneyEvent: Buffer };
interface Stored {
  names: string[];
  entries: Array<
    | { Contact: { event_id: Text; id: Text; provider: number; channel: number; family: number; start: number; duration: number; prior: Prior } }
    | { Journey: { event_id: Text; id: Text; family: number; start: number; duration: number } }
  >;
  markers: Array<{ event: MarkedEvent; partition: number; offset: number; contact_id: null | { boolean: boolean } | { IdHash: Buffer } }>;
  orphans: Array<{ contact_id: Buffer; owner: Buffer }>;
}

function sharedPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // never split a surrogate pair: each part must stay valid UTF-16 for the UTF-8 encoding
  if (i > 0 && i < b.length && (b.charCodeAt(i - 1) & 0xfc00) === 0xd800) i--;
  return i;
}

/** Front coding of one field across entries: each value against the one before (the first: against `last`). */
class FrontCoder {
  constructor(private last: string) {}

  encode(value: string): Text {
    const shared = sharedPrefix(this.last, value);
    this.last = value;
    return { shared, rest: value.slice(shared) };
  }
  decode(t: Text): string {
    this.last = this.last.slice(0, t.shared) + t.rest;
    return this.last;
  }
}

const entryKey = (kind: TimelineEntry['kind'] | PriorRef['kind'], eventId: string) => `${kind}\u0000${eventId}`;

const hex = (key: string, from = 0) => Buffer.from(key.slice(from), 'hex');

/** The stored form of a customer's state. */
export function encodeState(customer: string, state: CustomerState): Buffer {
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const name = (s: string) => {
    let i = nameIndex.get(s);
    if (i === undefined) nameIndex.set(s, (i = names.push(s) - 1));
    return i;
  };
  const { entries, priors } = state;
  const index = new Map(entries.map((e, i) => [entryKey(e.kind, e.event_id), i]));
  const eventIds = new FrontCoder(customer);
  const ids = { contact: new FrontCoder(customer), journey: new FrontCoder(customer) };
  let previousStart = 0;
  const stored = entries.map((e): Stored['entries'][number] => {
    const start = e.started_at - previousStart;
    previousStart = e.started_at;
    const common = { event_id: eventIds.encode(e.event_id), id: ids[e.kind].encode(e.id) };
    const duration = e.ended_at - e.started_at;
    if (e.kind === 'journey') return { Journey: { ...common, family: name(e.family), start, duration } };
    const p = priors.get(e.event_id);
    let prior: Prior = null;
    if (p) {
      const at = index.get(entryKey(p.kind, p.event_id));
      const same = at !== undefined && entries[at]!.id === p.id && entries[at]!.provider_id === p.provider_id && entries[at]!.ended_at === p.ended_at;
      prior = same
        ? { int: at }
        : { FullPrior: { journey: p.kind === 'journey', event_id: p.event_id, id: p.id, provider_id: p.provider_id === null ? null : { string: p.provider_id }, gap: e.started_at - p.ended_at } };
    }
    return { Contact: { ...common, provider: name(e.provider_id!), channel: name(e.channel!), family: name(e.family), start, duration, prior } };
  });

  const inTimeline = new Map(entries.map((e, i) => [eventKey(e.kind, e.event_id), i]));
  const contactIdOf = new Map<string, string>(); // owner event → its contact_id
  const orphans: Stored['orphans'] = [];
  for (const [contactId, owner] of state.contactIds) {
    if (state.events.has(owner) && !contactIdOf.has(owner)) contactIdOf.set(owner, contactId);
    else orphans.push({ contact_id: hex(contactId), owner: hex(owner, 1) });
  }
  let previousOffset = 0;
  const markers: Stored['markers'] = [];
  for (const [event, at] of state.events) {
    const i = inTimeline.get(event);
    const contactId = contactIdOf.get(event);
    const derived = i !== undefined && contactId !== undefined && entries[i]!.kind === 'contact' && contactIdKey(entries[i]!.id) === contactId;
    markers.push({
      event: i !== undefined ? { int: i } : event[0] === 'c' ? { ContactEvent: hex(event, 1) } : { JourneyEvent: hex(event, 1) },
      partition: at.partition,
      offset: at.offset - previousOffset,
      contact_id: contactId === undefined ? null : derived ? { boolean: true } : { IdHash: hex(contactId) },
    });
    previousOffset = at.offset;
  }
  const body = stateType.toBuffer({ names, entries: stored, markers, orphans } satisfies Stored);
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = FORMAT_STATE;
  body.copy(out, 1);
  return out;
}

/** Whether a stored value is in this form (else an earlier version's, see legacy-state.ts). */
export function isStoredState(stored: Buffer): boolean {
  return stored.length > 0 && stored[0] === FORMAT_STATE;
}

/** A stored state back, for this customer. */
export function decodeState(customer: string, stored: Buffer): CustomerState {
  const s = stateType.fromBuffer(stored.subarray(1)) as Stored;
  const state = new CustomerState();
  const entries: TimelineEntry[] = [];
  const eventIds = new FrontCoder(customer);
  const ids = { contact: new FrontCoder(customer), journey: new FrontCoder(customer) };
  let start = 0;
  for (const w of s.entries) {
    if ('Journey' in w) {
      const j = w.Journey;
      start += j.start;
      entries.push({ kind: 'journey', event_id: eventIds.decode(j.event_id), id: ids.journey.decode(j.id), customer_id: customer, provider_id: null, channel: null, family: s.names[j.family]!, started_at: start, ended_at: start + j.duration });
    } else {
      const c = w.Contact;
      start += c.start;
      entries.push({
        kind: 'contact', event_id: eventIds.decode(c.event_id), id: ids.contact.decode(c.id), customer_id: customer, provider_id: s.names[c.provider]!,
        channel: s.names[c.channel] as Channel, family: s.names[c.family]!, started_at: start, ended_at: start + c.duration,
      });
    }
  }
  s.entries.forEach((w, i) => {
    if (!('Contact' in w)) return;
    const p = w.Contact.prior;
    const e = entries[i]!;
    if (p === null) state.priors.set(e.event_id, null);
    else if ('int' in p) {
      const ref = entries[p.int]!;
      state.priors.set(e.event_id, { kind: ref.kind, event_id: ref.event_id, id: ref.id, provider_id: ref.provider_id, ended_at: ref.ended_at });
    } else {
      const f = p.FullPrior;
      state.priors.set(e.event_id, { kind: f.journey ? 'journey' : 'contact', event_id: f.event_id, id: f.id, provider_id: f.provider_id === null ? null : f.provider_id.string, ended_at: e.started_at - f.gap });
    }
  });
  state.entries = entries;

  let offset = 0;
  for (const m of s.markers) {
    offset += m.offset;
    const e = 'int' in m.event ? entries[m.event.int]! : undefined;
    const event = e ? eventKey(e.kind, e.event_id) : 'ContactEvent' in m.event ? `c${m.event.ContactEvent.toString('hex')}` : `w${(m.event as { JourneyEvent: Buffer }).JourneyEvent.toString('hex')}`;
    state.events.set(event, { partition: m.partition, offset });
    if (m.contact_id === null) continue;
    state.contactIds.set('IdHash' in m.contact_id ? m.contact_id.IdHash.toString('hex') : contactIdKey(e!.id), event);
  }
  for (const o of s.orphans) state.contactIds.set(o.contact_id.toString('hex'), `c${o.owner.toString('hex')}`);
  return state;
}
