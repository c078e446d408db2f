/**
 * Duplicate judgement (docs/events.md, "Rejections"), split so that the detector can do the lookups in Redis
 * (prefetched per batch) and replay in memory: `judge()` is pure over a `DedupeLookup`.
 *
 * - Only a valid record can be accepted, be a duplicate, or make a contact_id known.
 * - A valid record whose event_id was already accepted on its topic is a duplicate, whatever its
 *   content and even if its contact_id is known.
 * - Only a record with a new event_id can be `duplicate_contact_id`: a contact whose contact_id is
 *   known under another event_id and whose own event_id was never accepted. That rule precedes the
 *   timestamp rules in rule order, so a record broken only by those (validation keeps its decoded
 *   event) still gets `duplicate_contact_id` under the same condition; with an already accepted
 *   event_id it keeps its timestamp reason (it is invalid, so it cannot be a duplicate either).
 * - Within a batch, earlier accepted records count as known: `judgeInOrder` remembers each one
 *   before judging the next.
 */
import type { ContactEvent } from './events.generated.ts';
import { REASONS_AFTER_DUPLICATE_CONTACT_ID, type RejectReason } from './reject.ts';
import { TOPICS, type InputTopic } from './topics.ts';
import type { InputEvent, ValidationResult } from './validate.ts';

export interface DedupeLookup {
  /** Was this event_id already accepted on this topic? */
  isAccepted(topic: InputTopic, eventId: string): boolean;
  /** The event_id under which this contact_id was accepted, or undefined when it is unknown. */
  contactOwner(contactId: string): string | undefined;
}

export interface DedupeStore extends DedupeLookup {
  /** Records an accepted event: its event_id on its topic and, for contacts, its contact_id. */
  remember(topic: InputTopic, event: InputEvent): void;
}

export type Verdict<E = InputEvent> =
  | { result: 'accepted'; event: E }
  | { result: 'duplicate'; event: E }
  | { result: 'rejected'; reason: RejectReason; message: string; event?: E };

export interface JudgeInput<E = InputEvent> {
  topic: InputTopic;
  validation: ValidationResult<E>;
}

function knownUnderOtherEvent(topic: InputTopic, event: InputEvent, lookup: DedupeLookup): boolean {
  if (topic !== TOPICS.contacts) return false;
  const owner = lookup.contactOwner((event as ContactEvent).contact_id);
  return owner !== undefined && owner !== event.event_id;
}

const duplicateContactId = {
  result: 'rejected',
  reason: 'duplicate_contact_id',
  message: 'contact_id was already accepted under another event_id',
} as const;

/** The pure decision for one validated record; the caller remembers it when accepted. */
export function judge<E extends InputEvent>(topic: InputTopic, validation: ValidationResult<E>, lookup: DedupeLookup): Verdict<E> {
  if (!validation.ok) {
    const { event } = validation;
    if (
      event !== undefined &&
      REASONS_AFTER_DUPLICATE_CONTACT_ID.includes(validation.reason) &&
      !lookup.isAccepted(topic, event.event_id) &&
      knownUnderOtherEvent(topic, event, lookup)
    ) {
      return { ...duplicateContactId, event };
    }
    return { result: 'rejected', reason: validation.reason, message: validation.message, ...(event === undefined ? {} : { event }) };
  }
  const { event } = validation;
  if (lookup.isAccepted(topic, event.event_id)) return { result: 'duplicate', event };
  if (knownUnderOtherEvent(topic, event, lookup)) return { ...duplicateContactId, event };
  return { result: 'accepted', event };
}

/** Judges records in input order, remembering each accepted one before the next is judged. */
export function judgeInOrder<E extends InputEvent>(records: readonly JudgeInput<E>[], store: DedupeStore): Verdict<E>[] {
  return records.map(({ topic, validation }) => {
    const verdict = judge(topic, validation, store);
    if (verdict.result === 'accepted') store.remember(topic, verdict.event);
    return verdict;
  });
}

/**
 * How long a worker remembers accepted ids for duplicate judgement (`CX_DEDUPE_TTL_MS`): a
 * duplicate arriving later than this is judged new (docs/decisions.md, "Duplicate memory").
 */
export const DEFAULT_DEDUPE_TTL_MS = 30 * 86_400_000;

/** What a store knew, before the batch, of one record's own ids (fetched for the whole batch in one round trip). */
export interface StoredMarkers {
  /**
   * Its event_id was accepted on its topic by an earlier delivery. A store that remembers where an
   * id was accepted says false for a re-read of that very delivery (after a crash): it is not its
   * own duplicate.
   */
  accepted: boolean;
  /**
   * Its contact_id was accepted under another event_id. A yes or no rather than the owner's
   * event_id, so a store may keep hashes of ids instead of the ids.
   */
  contactIdTaken?: boolean;
}

export interface BatchRecord<E = InputEvent> extends JudgeInput<E> {
  /** What the store knew of this record's ids; undefined when it knew nothing (or was not asked). */
  stored?: StoredMarkers | undefined;
}

/**
 * The workers' batch step: judges a batch in order against what the store knew before it plus
 * what the batch itself accepted so far (an earlier record of the batch counts as known, as in
 * `judgeInOrder`). Pure: the caller fetched `stored` before and persists the accepted records after.
 */
export function judgeBatch<E extends InputEvent>(records: readonly BatchRecord<E>[]): Verdict<E>[] {
  const batch = new InMemoryDedupeStore();
  return records.map(({ topic, validation, stored }) => {
    // `judge` asks only about the record's own event_id and contact_id, which is what `stored` describes.
    const verdict = judge(topic, validation, {
      isAccepted: (t, id) => batch.isAccepted(t, id) || (stored?.accepted ?? false),
      // A taken contact_id's owner is only known to differ from this record's own event_id.
      contactOwner: (cid) => batch.contactOwner(cid) ?? (stored?.contactIdTaken ? `${validation.event?.event_id ?? ''}\u0000another` : undefined),
    });
    if (verdict.result === 'accepted') batch.remember(topic, verdict.event);
    return verdict;
  });
}

/** What a batch needs looked up, so a Redis store can fetch it in one round trip. */
export function dedupeLookupKeys(records: readonly JudgeInput[]): { eventIds: { topic: InputTopic; eventId: string }[]; contactIds: string[] } {
  const eventIds = new Map<string, { topic: InputTopic; eventId: string }>();
  const contactIds = new Set<string>();
  for (const { topic, validation } of records) {
    const event = validation.event;
    if (event === undefined) continue;
    // A contact failing only a timestamp rule needs its event_id too: an accepted one rules out duplicate_contact_id.
    if (validation.ok || topic === TOPICS.contacts) eventIds.set(`${topic}\u0000${event.event_id}`, { topic, eventId: event.event_id });
    if (topic === TOPICS.contacts) contactIds.add((event as ContactEvent).contact_id);
  }
  return { eventIds: [...eventIds.values()], contactIds: [...contactIds] };
}

/**
 * Synchronous store for replay, for a batch's prefetched Redis answers, or as the overlay of
 * records accepted but not yet persisted; `fallback` answers what this store does not know.
 */
export class InMemoryDedupeStore implements DedupeStore {
  private readonly accepted = new Map<InputTopic, Set<string>>();
  private readonly owners = new Map<string, string>();

  constructor(private readonly fallback?: DedupeLookup) {}

  isAccepted(topic: InputTopic, eventId: string): boolean {
    return (this.accepted.get(topic)?.has(eventId) ?? false) || (this.fallback?.isAccepted(topic, eventId) ?? false);
  }

  contactOwner(contactId: string): string | undefined {
    return this.owners.get(contactId) ?? this.fallback?.contactOwner(contactId);
  }

  remember(topic: InputTopic, event: InputEvent): void {
    let ids = this.accepted.get(topic);
    if (ids === undefined) this.accepted.set(topic, (ids = new Set()));
    ids.add(event.event_id);
    if (topic === TOPICS.contacts) this.owners.set((event as ContactEvent).contact_id, event.event_id);
  }

  /** Drops what was remembered here (e.g. a revoked partition's unpersisted overlay). */
  clear(): void {
    this.accepted.clear();
    this.owners.clear();
  }
}
