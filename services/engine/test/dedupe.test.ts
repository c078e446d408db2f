import { describe, expect, it } from 'vitest';
import {
  InMemoryDedupeStore,
  TOPICS,
  dedupeLookupKeys,
  judge,
  judgeBatch,
  judgeInOrder,
  validateEvent,
  type BatchRecord,
  type DedupeLookup,
  type JudgeInput,
} from '../src/index.ts';
import { DAY, NOW, contact, customerEvent, journey } from './fixtures.ts';

const C = TOPICS.contacts;
const W = TOPICS.web;
const K = TOPICS.customers;

const input = (topic: JudgeInput['topic'], value: unknown): JudgeInput => ({ topic, validation: validateEvent(topic, value, NOW) });
const results = (records: JudgeInput[], store = new InMemoryDedupeStore()) =>
  judgeInOrder(records, store).map((v) => (v.result === 'rejected' ? v.reason : v.result));

describe('judge', () => {
  it('accepts a new valid event', () => {
    expect(results([input(C, contact())])).toEqual(['accepted']);
  });

  it('a repeated event_id is a duplicate, even with different content', () => {
    expect(results([input(C, contact()), input(C, contact({ queue: 'other', csat: 2 }))])).toEqual(['accepted', 'duplicate']);
  });

  it('a repeated event_id is a duplicate even when its contact_id is known under another event', () => {
    const records = [input(C, contact({ event_id: 'e1', contact_id: 'c1' })), input(C, contact({ event_id: 'e2', contact_id: 'c2' }))];
    const again = input(C, contact({ event_id: 'e2', contact_id: 'c1' }));
    expect(results([...records, again])).toEqual(['accepted', 'accepted', 'duplicate']);
  });

  it('a known contact_id under a new event_id is duplicate_contact_id, and does not become known again', () => {
    const store = new InMemoryDedupeStore();
    expect(results([input(C, contact({ event_id: 'e1' })), input(C, contact({ event_id: 'e2' })), input(C, contact({ event_id: 'e2' }))], store)).toEqual([
      'accepted',
      'duplicate_contact_id',
      'duplicate_contact_id',
    ]);
    expect(store.contactOwner('c1')).toBe('e1');
    expect(store.isAccepted(C, 'e2')).toBe(false);
  });

  it('event_ids are per topic', () => {
    expect(results([input(C, contact({ event_id: 'x' })), input(W, journey({ event_id: 'x' })), input(K, customerEvent({ event_id: 'x' }))])).toEqual([
      'accepted',
      'accepted',
      'accepted',
    ]);
    expect(results([input(W, journey()), input(W, journey({ outcome: 'COMPLETED' }))])).toEqual(['accepted', 'duplicate']);
    expect(results([input(K, customerEvent()), input(K, customerEvent({ type: 'DEACTIVATED' }))])).toEqual(['accepted', 'duplicate']);
  });

  it('journeys and customer events have no contact_id rule', () => {
    expect(results([input(W, journey({ event_id: 'w1', session_id: 's' })), input(W, journey({ event_id: 'w2', session_id: 's' }))])).toEqual([
      'accepted',
      'accepted',
    ]);
  });

  it('only a valid record can be accepted, be a duplicate or make a contact_id known', () => {
    const store = new InMemoryDedupeStore();
    expect(
      results(
        [
          input(C, contact({ event_id: 'e1', csat: 9 })), // invalid: makes nothing known
          input(C, contact({ event_id: 'e1' })), // so this one is accepted
          input(C, contact({ event_id: 'e1', csat: 9 })), // invalid, not a duplicate
          input(C, contact({ event_id: 'e2', csat: 9 })), // invalid first, although c1 is known
        ],
        store,
      ),
    ).toEqual(['csat_out_of_range', 'accepted', 'csat_out_of_range', 'csat_out_of_range']);
  });

  it('duplicate_contact_id outranks the timestamp rules, which follow it in rule order', () => {
    const future = contact({ event_id: 'e2', started_at: NOW + 2 * DAY });
    expect(results([input(C, contact({ event_id: 'e1' })), input(C, future)])).toEqual(['accepted', 'duplicate_contact_id']);
    // Unknown contact_id: the timestamp rule stands, and the contact_id does not become known.
    const store = new InMemoryDedupeStore();
    expect(results([input(C, future), input(C, contact({ event_id: 'e3' }))], store)).toEqual(['timestamp_in_future', 'accepted']);
    // Same event_id as the accepted one: invalid records are never duplicates.
    expect(results([input(C, contact({ event_id: 'e1' })), input(C, contact({ event_id: 'e1', started_at: NOW + 2 * DAY }))])).toEqual([
      'accepted',
      'timestamp_in_future',
    ]);
  });

  it('only a new event_id can be duplicate_contact_id, also for a record broken only by a timestamp rule', () => {
    const accepted = [input(C, contact({ event_id: 'e1', contact_id: 'c1' })), input(C, contact({ event_id: 'e2', contact_id: 'c2' }))];
    // e2 was accepted (for c2); c1 is known under e1. Valid: a duplicate. Invalid: its own reason.
    expect(results([...accepted, input(C, contact({ event_id: 'e2', contact_id: 'c1' }))])).toEqual(['accepted', 'accepted', 'duplicate']);
    expect(results([...accepted, input(C, contact({ event_id: 'e2', contact_id: 'c1', started_at: NOW + 2 * DAY }))])).toEqual([
      'accepted',
      'accepted',
      'timestamp_in_future',
    ]);
    // A new event_id with the same known contact_id and the same timestamp fault: duplicate_contact_id.
    expect(results([...accepted, input(C, contact({ event_id: 'e3', contact_id: 'c1', started_at: NOW + 2 * DAY }))])).toEqual([
      'accepted',
      'accepted',
      'duplicate_contact_id',
    ]);
    // Through a lookup (the workers' Redis markers), not only the in-memory store.
    const lookup: DedupeLookup = { isAccepted: (t, id) => t === C && id === 'e2', contactOwner: (cid) => (cid === 'c1' ? 'e1' : undefined) };
    const late = input(C, contact({ event_id: 'e2', contact_id: 'c1', started_at: NOW + 2 * DAY }));
    expect(judge(late.topic, late.validation, lookup)).toMatchObject({ result: 'rejected', reason: 'timestamp_in_future' });
  });

  it('judge itself is pure: it does not remember', () => {
    const store = new InMemoryDedupeStore();
    const v = input(C, contact());
    expect(judge(v.topic, v.validation, store).result).toBe('accepted');
    expect(judge(v.topic, v.validation, store).result).toBe('accepted');
  });
});

describe('batched lookups (the detector prefetches from Redis)', () => {
  it('lists the keys a batch needs, once each', () => {
    const batch = [
      input(C, contact({ event_id: 'e1', contact_id: 'c1' })),
      input(C, contact({ event_id: 'e1', contact_id: 'c1' })),
      input(C, contact({ event_id: 'e2', contact_id: 'c2', started_at: NOW + 2 * DAY })),
      input(C, { nonsense: true }),
      input(W, journey({ event_id: 'w1' })),
    ];
    expect(dedupeLookupKeys(batch)).toEqual({
      eventIds: [
        { topic: C, eventId: 'e1' },
        // invalid, but only by a timestamp rule: whether e2 was accepted decides duplicate_contact_id
        { topic: C, eventId: 'e2' },
        { topic: W, eventId: 'w1' },
      ],
      contactIds: ['c1', 'c2'],
    });
  });

  it('an overlay store answers from prefetched state and counts earlier records of the batch as known', () => {
    const prefetched: DedupeLookup = {
      isAccepted: (topic, id) => topic === C && id === 'old',
      contactOwner: (cid) => (cid === 'c-old' ? 'old' : undefined),
    };
    const overlay = new InMemoryDedupeStore(prefetched);
    const batch = [
      input(C, contact({ event_id: 'old', contact_id: 'c-old' })),
      input(C, contact({ event_id: 'new', contact_id: 'c-old' })),
      input(C, contact({ event_id: 'n1', contact_id: 'c-new' })),
      input(C, contact({ event_id: 'n1', contact_id: 'c-new' })),
      input(C, contact({ event_id: 'n2', contact_id: 'c-new' })),
    ];
    expect(results(batch, overlay)).toEqual(['duplicate', 'duplicate_contact_id', 'accepted', 'duplicate', 'duplicate_contact_id']);
    overlay.clear();
    expect(overlay.isAccepted(C, 'n1')).toBe(false);
    expect(overlay.isAccepted(C, 'old')).toBe(true);
  });
});

describe('judgeBatch (what the workers run per batch)', () => {
  const verdicts = (records: BatchRecord[]) => judgeBatch(records).map((v) => (v.result === 'rejected' ? v.reason : v.result));

  it('judges like judgeInOrder when the store knows nothing', () => {
    const batch = [
      input(C, contact({ event_id: 'e1', contact_id: 'c1' })),
      input(C, contact({ event_id: 'e1', contact_id: 'c1' })),
      input(C, contact({ event_id: 'e2', contact_id: 'c1' })),
      input(C, contact({ event_id: 'e3', contact_id: 'c3', started_at: NOW + 2 * DAY })),
      input(W, journey({ event_id: 'w1' })),
    ];
    expect(verdicts(batch)).toEqual(results(batch));
  });

  it('adds what the store knew of each record to what the batch accepted so far', () => {
    const batch: BatchRecord[] = [
      { ...input(C, contact({ event_id: 'old', contact_id: 'c-old' })), stored: { accepted: true, contactIdTaken: false } },
      { ...input(C, contact({ event_id: 'new', contact_id: 'c-old' })), stored: { accepted: false, contactIdTaken: true } },
      // a re-read of the accepted delivery itself: the store says not accepted, its contact_id is its own
      { ...input(C, contact({ event_id: 'again', contact_id: 'c-again' })), stored: { accepted: false, contactIdTaken: false } },
      input(C, contact({ event_id: 'n1', contact_id: 'c-new' })),
      { ...input(C, contact({ event_id: 'n2', contact_id: 'c-new' })), stored: { accepted: false } },
      input(C, contact({ event_id: 'n1', contact_id: 'c-new' })),
    ];
    expect(verdicts(batch)).toEqual(['duplicate', 'duplicate_contact_id', 'accepted', 'accepted', 'duplicate_contact_id', 'duplicate']);
  });

  it('a record broken only by a timestamp rule gets duplicate_contact_id when the store says its contact_id is taken, not when its own id was accepted', () => {
    const late = contact({ event_id: 'e9', contact_id: 'c-old', started_at: NOW + 2 * DAY });
    expect(verdicts([{ ...input(C, late), stored: { accepted: false, contactIdTaken: true } }])).toEqual(['duplicate_contact_id']);
    expect(verdicts([{ ...input(C, late), stored: { accepted: true, contactIdTaken: true } }])).toEqual(['timestamp_in_future']);
  });

  it('is pure: every call starts from what its records say', () => {
    const batch = [input(W, journey({ event_id: 'w1' }))];
    expect(verdicts(batch)).toEqual(['accepted']);
    expect(verdicts(batch)).toEqual(['accepted']);
  });
});
