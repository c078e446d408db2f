// Bounded fuzzing of event validation (docs/bad-input.md): validateEvent over arbitrary values and
// over valid records with fields replaced by hostile ones. It must never throw; a rejection names
// one engine reason; an acceptance is a fixed point (the event validates again to itself, also
// after a JSON round trip, as a replay line would carry it) and keeps every rule of docs/events.md.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MIN_TIMESTAMP_MS, REJECT_REASONS, TOPICS, validateEvent, type InputTopic } from '../src/index.ts';
import { NOW, abandoned, contact, customerEvent, journey } from './fixtures.ts';

const RUNS = Number(process.env.CX_FUZZ_RUNS ?? 5000);
const DAY = 86_400_000;
const counts = { runs: 0, accepted: 0, rejected: new Map<string, number>() };
const TOPIC_LIST: InputTopic[] = [TOPICS.contacts, TOPICS.web, TOPICS.customers];
const FIELDS: Record<InputTopic, string[]> = {
  [TOPICS.contacts]: Object.keys(contact()),
  [TOPICS.web]: Object.keys(journey()),
  [TOPICS.customers]: Object.keys(customerEvent()),
};
const BASES: Record<InputTopic, (variant: boolean) => Record<string, unknown>> = {
  [TOPICS.contacts]: (variant) => ({ ...(variant ? abandoned() : contact()) }),
  [TOPICS.web]: () => ({ ...journey() }),
  [TOPICS.customers]: () => ({ ...customerEvent() }),
};

const anything = fc.anything({
  withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true,
  withObjectString: true, withSparseArray: true, withTypedArray: true, withUnicodeString: true,
});
/** Values near every rule's edge: bounds of timestamps, longs, ints, string lengths, ISO forms, codes. */
const edgy = fc.oneof(
  anything,
  fc.constantFrom(
    '', 'all', 'All', ' ', '\u0000', 'a'.repeat(256), 'a'.repeat(257), '😀'.repeat(256), '😀'.repeat(257), '\ud800',
    'billing', 'billing.x', 'Billing.x', 'billing..x', '.billing', 'billing.', 'a_b.c_1',
    '2026-11-03T08:00:00Z', '2026-11-03T08:00:00', '2026-11-03T09:30+01', '2026-02-30T00:00:00Z', '1999-12-31T23:59:59.999Z', '+275760-09-13T00:00:00Z',
    'PHONE', 'VIDEO', 'ABANDONED', 'RESOLVED', 'COMPLETED', 'FAILED', 'ACTIVATED', 'DEACTIVATED',
    0, -0, 1, 5, 6, -1, 0.5, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER,
    MIN_TIMESTAMP_MS - 1, MIN_TIMESTAMP_MS, NOW + DAY, NOW + DAY + 1, 2n ** 53n, -(2n ** 53n), 2n ** 64n, 1n, true, false, null, undefined,
  ),
  fc.integer({ min: MIN_TIMESTAMP_MS - DAY, max: NOW + 2 * DAY }),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
);
const patch = (topic: InputTopic) =>
  fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS[topic]), fc.constantFrom('__proto__', 'constructor', 'toString', 'sale_cent', '')), edgy, { maxKeys: 3 });

function isSafeTs(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= MIN_TIMESTAMP_MS && v <= NOW + DAY;
}

/** The rules an accepted record must keep, checked independently of the validator. */
function expectKeepsTheRules(topic: InputTopic, e: Record<string, unknown>): void {
  expect(Object.keys(e).sort()).toEqual([...FIELDS[topic]].sort());
  for (const [k, v] of Object.entries(e)) {
    if (typeof v === 'string') expect([...v].length, k).toBeLessThanOrEqual(256);
  }
  if (topic === TOPICS.customers) {
    expect(isSafeTs(e.occurred_at)).toBe(true);
    expect(e.provider_id).not.toBe('all');
    return;
  }
  const started = e.started_at as number;
  const ended = e.ended_at as number;
  expect(isSafeTs(started) && isSafeTs(ended)).toBe(true);
  expect(ended - started).toBeGreaterThanOrEqual(0);
  expect(ended - started).toBeLessThanOrEqual(DAY);
  if (topic === TOPICS.contacts) {
    const answered = e.answered_at as number | null;
    expect(answered === null).toBe(e.outcome === 'ABANDONED');
    if (answered !== null) expect(isSafeTs(answered) && answered >= started && answered <= ended).toBe(true);
    expect(e.csat === null || (Number.isInteger(e.csat) && (e.csat as number) >= 1 && (e.csat as number) <= 5 && answered !== null)).toBe(true);
    expect(Number.isSafeInteger(e.sale_cents) && (e.sale_cents as number) >= 0).toBe(true);
    expect(e.provider_id).not.toBe('all');
  } else {
    expect(e.customer_id).not.toBe('');
  }
}

function check(topic: InputTopic, value: unknown): void {
  counts.runs++;
  const r = validateEvent(topic, value, NOW);
  expect(validateEvent(topic, value, NOW)).toEqual(r);
  if (!r.ok) {
    expect(REJECT_REASONS).toContain(r.reason);
    // set by the platform and by the replay reader, never by the engine's validation
    expect(['undecodable', 'unknown_topic', 'duplicate_contact_id']).not.toContain(r.reason);
    expect(typeof r.message === 'string' && r.message.length > 0).toBe(true);
    counts.rejected.set(r.reason, (counts.rejected.get(r.reason) ?? 0) + 1);
    return;
  }
  counts.accepted++;
  const e = r.event as unknown as Record<string, unknown>;
  expectKeepsTheRules(topic, e);
  expect(validateEvent(topic, e, NOW)).toEqual(r);
  expect(validateEvent(topic, JSON.parse(JSON.stringify(e)), NOW)).toEqual(r);
}

describe('validateEvent under fuzzing', () => {
  afterAll(() => {
    const rejected = [...counts.rejected].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`validate fuzz: ${counts.runs} values (${counts.accepted} accepted; rejected: ${rejected})`);
  });

  it('never throws on arbitrary values', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TOPIC_LIST), anything, (topic, value) => check(topic, value)),
      { numRuns: RUNS },
    );
  }, 30_000);

  it('never throws on valid records with up to three fields replaced by hostile values', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TOPIC_LIST).chain((topic) => fc.tuple(fc.constant(topic), patch(topic))),
        fc.boolean(),
        ([topic, p], variant) => {
          const value = BASES[topic](variant);
          for (const [k, v] of Object.entries(p)) Object.defineProperty(value, k, { value: v, enumerable: true, writable: true, configurable: true });
          check(topic, value);
        },
      ),
      { numRuns: RUNS * 2 },
    );
    // every rule of the engine is reached by the hostile fields
    expect(counts.accepted).toBeGreaterThan(0);
    expect(counts.rejected.size).toBeGreaterThanOrEqual(12);
  }, 30_000);
});
