/**
 * How a customer's timeline is stored in Redis. Redis holds every entry a future contact could
 * still choose, for every active customer, so each entry is a positional JSON array rather than an
 * object: no field names, no customer id (the key holds it), the duration instead of a second
 * timestamp, and 0 for what is absent.
 *
 *   contact: ["c", event_id, contact_id, provider_id, channel, family, started_at, ended_at − started_at, prior]
 *   journey: ["j", event_id, session_id, family, started_at, ended_at − started_at]
 *   prior:   0 (the contact found none) or [kind "c"|"j", event_id, id, provider_id or 0, ended_at]
 *
 * A contact stores the prior it found, from which `signalFor` rebuilds its signal exactly (a whole
 * stored signal would double the bytes). A customer's timeline is one JSON array of these, kept as
 * one Redis string: it is always read and replaced whole, and a sorted set of members this long
 * (over `zset-max-listpack-value`, 64 B) costs Redis more for its skiplist than the entries
 * themselves. Entries written by earlier versions (JSON objects) are still read.
 */
import type { Channel, PriorRef, TimelineEntry } from '@cxg/engine';

type StoredPrior = 0 | [kind: 'c' | 'j', eventId: string, id: string, provider: string | 0, endedAt: number];
type StoredContact = [kind: 'c', eventId: string, id: string, provider: string, channel: Channel, family: string, startedAt: number, durationMs: number, prior: StoredPrior];
type StoredJourney = [kind: 'j', eventId: string, id: string, family: string, startedAt: number, durationMs: number];

/** The stored form of `entry`; a contact's `prior` is what it found (null: none). */
export function encodeEntry(entry: TimelineEntry, prior: PriorRef | null | undefined): string {
  const duration = entry.ended_at - entry.started_at;
  if (entry.kind === 'journey') return JSON.stringify(['j', entry.event_id, entry.id, entry.family, entry.started_at, duration] satisfies StoredJourney);
  const p: StoredPrior = prior ? [prior.kind === 'contact' ? 'c' : 'j', prior.event_id, prior.id, prior.provider_id ?? 0, prior.ended_at] : 0;
  return JSON.stringify(['c', entry.event_id, entry.id, entry.provider_id!, entry.channel!, entry.family, entry.started_at, duration, p] satisfies StoredContact);
}

function decodePrior(p: StoredPrior): PriorRef | null {
  if (p === 0) return null;
  const [kind, event_id, id, provider, ended_at] = p;
  return { kind: kind === 'c' ? 'contact' : 'journey', event_id, id, provider_id: provider === 0 ? null : provider, ended_at };
}

/** A customer's timeline as stored: its entries, each contact with the prior it found. */
export function encodeTimeline(entries: readonly TimelineEntry[], priors: ReadonlyMap<string, PriorRef | null>): string {
  return `[${entries.map((e) => encodeEntry(e, priors.get(e.event_id))).join(',')}]`;
}

/** A stored timeline (null: none) back as entries, and the prior each stored contact found. */
export function decodeTimeline(customer: string, stored: string | null): { entries: TimelineEntry[]; priors: Map<string, PriorRef | null> } {
  const entries: TimelineEntry[] = [];
  const priors = new Map<string, PriorRef | null>();
  if (stored === null) return { entries, priors };
  for (const v of JSON.parse(stored) as Array<StoredContact | StoredJourney | (TimelineEntry & { prior?: PriorRef | null })>) {
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
