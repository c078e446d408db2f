/**
 * Everything the detector remembers of one customer, read and written whole (one Redis string,
 * state-codec.ts): the duplicate markers of its accepted records and its timeline.
 *
 * Markers hold the 64-bit hash of each id, not the id (platform's id-hash.ts): an accepted event
 * remembers the partition and offset it was accepted at, and a contact_id the event that owns it.
 * Two ids of one customer share a hash with a probability of about n²/2^65 for n ids.
 */
import type { PriorRef, TimelineEntry } from '@cxg/engine';
import { idHashHex } from '@cxg/platform';

/** Event ids are unique per topic: a contact's and a journey's are told apart by their kind. */
export type MarkedKind = 'contact' | 'journey';

/** Where an accepted record was read. */
export interface Position {
  partition: number;
  offset: number;
}

/** An event's key in `CustomerState.events`: `c` (contact) or `w` (journey), then the hash of its event_id in hex. */
export const eventKey = (kind: MarkedKind, eventId: string): string => (kind === 'contact' ? 'c' : 'w') + idHashHex(eventId);

/** A contact_id's key in `CustomerState.contactIds`: the hash of the contact_id in hex. */
export const contactIdKey = (contactId: string): string => idHashHex(contactId);

export class CustomerState {
  /** `eventKey` → where that event was accepted. */
  readonly events = new Map<string, Position>();
  /** `contactIdKey` → the owner's `eventKey`. */
  readonly contactIds = new Map<string, string>();
  /** Sorted ascending by the engine's `comparePriors`; pruned by the engine. */
  entries: readonly TimelineEntry[] = [];
  /** Per contact in `entries`: the prior it found (null: none), so a re-read re-emits the same signal. */
  readonly priors = new Map<string, PriorRef | null>();

  /** `<partition>:<offset>` of the accepted record with this event_id, or null. */
  acceptedAt(kind: MarkedKind, eventId: string): string | null {
    const p = this.events.get(eventKey(kind, eventId));
    return p === undefined ? null : `${p.partition}:${p.offset}`;
  }

  /** Whether this contact_id was accepted under another event_id. */
  contactIdTaken(contactId: string, eventId: string): boolean {
    const owner = this.contactIds.get(contactIdKey(contactId));
    return owner !== undefined && owner !== eventKey('contact', eventId);
  }

  /** Remembers an accepted record's ids. */
  accept(kind: MarkedKind, eventId: string, contactId: string | null, at: Position): void {
    const event = eventKey(kind, eventId);
    this.events.set(event, at);
    if (contactId !== null) this.contactIds.set(contactIdKey(contactId), event);
  }

  /** Replaces the timeline; priors of contacts no longer in it are forgotten. */
  setEntries(entries: readonly TimelineEntry[]): void {
    this.entries = entries;
    const live = new Set(entries.map((e) => e.event_id));
    for (const id of this.priors.keys()) if (!live.has(id)) this.priors.delete(id);
  }

  get empty(): boolean {
    return this.events.size === 0 && this.contactIds.size === 0 && this.entries.length === 0;
  }
}
