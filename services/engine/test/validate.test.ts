import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REJECT_REASONS, TOPICS, decodeEvent, validateEvent, type RejectReason } from '../src/index.ts';
import { DAY, NOW, T0, abandoned, contact, customerEvent, journey } from './fixtures.ts';

const C = TOPICS.contacts;
const W = TOPICS.web;
const K = TOPICS.customers;

function reasonOf(topic: (typeof TOPICS)['contacts' | 'web' | 'customers'], value: unknown, nowMs = NOW): RejectReason | 'ok' {
  const r = validateEvent(topic, value, nowMs);
  return r.ok ? 'ok' : r.reason;
}

function without(obj: object, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...obj };
  delete copy[key];
  return copy;
}

describe('validateEvent: valid records', () => {
  it('accepts a full contact unchanged', () => {
    const c = contact({ agent_id: 'a7', csat: 4, sale_cents: 1999 });
    expect(validateEvent(C, c, NOW)).toEqual({ ok: true, event: c });
  });

  it('fills Avro defaults for absent fields', () => {
    const minimal = without(without(without(without(abandoned(), 'agent_id'), 'answered_at'), 'csat'), 'sale_cents');
    const r = validateEvent(C, minimal, NOW);
    expect(r).toEqual({ ok: true, event: abandoned() });
    const j = validateEvent(W, without(without(journey(), 'customer_id'), 'error_code'), NOW);
    expect(j).toEqual({ ok: true, event: journey({ customer_id: null }) });
    const k = validateEvent(K, without(customerEvent(), 'won_by_provider'), NOW);
    expect(k).toEqual({ ok: true, event: customerEvent() });
  });

  it('treats an undefined field as absent', () => {
    expect(validateEvent(C, { ...contact(), csat: undefined }, NOW)).toEqual({ ok: true, event: contact() });
  });

  it('normalises ISO-8601 timestamps to epoch ms, truncating microseconds', () => {
    const c = contact();
    const iso = {
      ...c,
      started_at: '2026-11-03T10:00:00.000999Z',
      answered_at: '2026-11-03T11:00:10.123456+01:00',
      ended_at: '2026-11-03T10:05:00.999999Z',
    };
    const r = validateEvent(C, iso, NOW);
    expect(r).toEqual({ ok: true, event: { ...c, answered_at: T0 + 10_123, ended_at: c.ended_at + 999 } });
  });

  it('accepts a bigint long (as Avro decoders may deliver it)', () => {
    const r = validateEvent(C, { ...contact(), sale_cents: 250n, started_at: BigInt(T0) }, NOW);
    expect(r).toEqual({ ok: true, event: contact({ sale_cents: 250 }) });
  });

  it('allows empty nullable strings, except the journey customer_id', () => {
    expect(reasonOf(C, contact({ agent_id: '' }))).toBe('ok');
    expect(reasonOf(W, journey({ error_code: '' }))).toBe('ok');
    expect(reasonOf(W, journey({ customer_id: null }))).toBe('ok'); // anonymous
    expect(reasonOf(W, journey({ customer_id: ' ' }))).toBe('ok'); // not empty
  });

  it('accepts records right at the boundaries', () => {
    expect(reasonOf(C, contact({ started_at: T0, answered_at: T0, ended_at: T0 + DAY }))).toBe('ok');
    expect(reasonOf(C, contact({ started_at: T0, answered_at: T0 + DAY, ended_at: T0 + DAY, csat: 5 }))).toBe('ok');
    expect(reasonOf(C, contact({ csat: 1 }))).toBe('ok');
    expect(reasonOf(C, contact({ started_at: 946_684_800_000 }))).toBe('ok');
    expect(reasonOf(K, customerEvent({ occurred_at: NOW + DAY }))).toBe('ok');
    expect(reasonOf(C, contact({ intent: 'x'.repeat(256) }))).toBe('ok');
    expect(reasonOf(C, contact({ queue: '\u{1F600}'.repeat(256) }))).toBe('ok'); // 256 code points, 512 UTF-16 units
    expect(reasonOf(W, journey({ started_at: T0, ended_at: T0 }))).toBe('ok');
  });
});

describe('validateEvent: decoding', () => {
  it.each([null, 'x', 42, [contact()]])('rejects a non-object value %j as wrong_type', (v) => {
    expect(reasonOf(C, v)).toBe('wrong_type');
  });

  it.each(['event_id', 'contact_id', 'customer_id', 'provider_id', 'channel', 'queue', 'intent', 'started_at', 'ended_at', 'outcome'])(
    'contact without %s is missing_field',
    (field) => {
      const r = validateEvent(C, without(contact(), field), NOW);
      expect(r).toMatchObject({ ok: false, reason: 'missing_field' });
      expect(r.ok || r.message).toContain(field);
    },
  );

  it.each(['event_id', 'session_id', 'journey', 'started_at', 'ended_at', 'outcome', 'last_step'])('journey without %s is missing_field', (field) => {
    expect(reasonOf(W, without(journey(), field))).toBe('missing_field');
  });

  it.each(['event_id', 'customer_id', 'provider_id', 'type', 'occurred_at'])('customer event without %s is missing_field', (field) => {
    expect(reasonOf(K, without(customerEvent(), field))).toBe('missing_field');
  });

  it.each<[string, unknown]>([
    ['event_id', 7],
    ['customer_id', null],
    ['queue', ['q']],
    ['agent_id', 3],
    ['started_at', 1.5],
    ['started_at', '2026-11-03T10:00:00'], // ISO without a zone
    ['started_at', '1700000000000'],
    ['answered_at', 'soon'],
    ['csat', 3.5],
    ['csat', '4'],
    ['csat', 2 ** 31],
    ['sale_cents', 1.5],
    ['sale_cents', null],
    ['channel', 1],
  ])('contact with %s = %j is wrong_type', (field, value) => {
    expect(reasonOf(C, { ...contact(), [field]: value })).toBe('wrong_type');
  });

  describe('every long is a safe integer, |x| <= 2^53 - 1, or undecodable', () => {
    const MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1
    const BIG_MAX = 2n ** 53n - 1n;

    it('sale_cents as a number: the bound decodes, one past it is wrong_type', () => {
      expect(validateEvent(C, contact({ sale_cents: MAX }), NOW)).toEqual({ ok: true, event: contact({ sale_cents: MAX }) });
      expect(reasonOf(C, contact({ sale_cents: -MAX }))).toBe('negative_sale'); // decoded, then a rule
      expect(reasonOf(C, contact({ sale_cents: 2 ** 53 }))).toBe('wrong_type');
      expect(reasonOf(C, contact({ sale_cents: -(2 ** 53) }))).toBe('wrong_type');
      expect(reasonOf(C, contact({ sale_cents: 2 ** 53 + 2 }))).toBe('wrong_type');
      for (const v of [1e300, Infinity, -Infinity, NaN]) expect(reasonOf(C, contact({ sale_cents: v }))).toBe('wrong_type');
      const r = validateEvent(C, contact({ sale_cents: 2 ** 53 }), NOW);
      expect(r.ok || r.message).toBe('sale_cents: expected an integer (long) within ±(2^53 − 1)');
    });

    it('sale_cents as a bigint: compared exactly, never rounded into range first', () => {
      expect(validateEvent(C, { ...contact(), sale_cents: BIG_MAX }, NOW)).toEqual({ ok: true, event: contact({ sale_cents: MAX }) });
      expect(reasonOf(C, { ...contact(), sale_cents: -BIG_MAX })).toBe('negative_sale');
      for (const v of [BIG_MAX + 1n, -(BIG_MAX + 1n), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n]) {
        expect(reasonOf(C, { ...contact(), sale_cents: v }), String(v)).toBe('wrong_type');
      }
      const r = validateEvent(C, { ...contact(), sale_cents: BIG_MAX + 1n }, NOW);
      expect(r.ok || r.message).toBe('sale_cents: long beyond ±(2^53 − 1)');
    });

    it('timestamps as numbers and bigints: the bound decodes (then a timestamp rule), one past it is wrong_type', () => {
      expect(reasonOf(K, customerEvent({ occurred_at: MAX }))).toBe('timestamp_in_future');
      expect(reasonOf(K, customerEvent({ occurred_at: -MAX }))).toBe('timestamp_before_2000');
      expect(reasonOf(K, customerEvent({ occurred_at: 2 ** 53 }))).toBe('wrong_type');
      expect(reasonOf(K, customerEvent({ occurred_at: -(2 ** 53) }))).toBe('wrong_type');
      expect(reasonOf(K, { ...customerEvent(), occurred_at: BIG_MAX })).toBe('timestamp_in_future');
      expect(reasonOf(K, { ...customerEvent(), occurred_at: -BIG_MAX })).toBe('timestamp_before_2000');
      expect(reasonOf(K, { ...customerEvent(), occurred_at: BIG_MAX + 1n })).toBe('wrong_type');
      expect(reasonOf(K, { ...customerEvent(), occurred_at: -(BIG_MAX + 1n) })).toBe('wrong_type');
      expect(reasonOf(C, { ...abandoned(), answered_at: BIG_MAX + 1n })).toBe('wrong_type'); // a nullable one too
      expect(reasonOf(W, { ...journey(), ended_at: 2 ** 53 })).toBe('wrong_type');
    });

    it('ISO strings always decode within the safe range (4-digit years), extremes included', () => {
      expect(reasonOf(K, customerEvent({ occurred_at: '9999-12-31T23:59:59.999-23:59' as unknown as number }))).toBe('timestamp_in_future');
      expect(reasonOf(K, customerEvent({ occurred_at: '0000-01-01T00:00:00+23:59' as unknown as number }))).toBe('timestamp_before_2000');
      expect(reasonOf(K, customerEvent({ occurred_at: '+275760-09-13T00:00:00Z' as unknown as number }))).toBe('wrong_type');
    });
  });

  it('names the field and the zone problem', () => {
    const r = validateEvent(C, { ...contact(), ended_at: '2026-11-03T10:05:00' }, NOW);
    expect(r).toEqual({ ok: false, reason: 'wrong_type', message: 'ended_at: ISO-8601 date-time without a zone offset' });
  });

  it('customer event won_by_provider must be a boolean', () => {
    expect(reasonOf(K, { ...customerEvent(), won_by_provider: 'true' })).toBe('wrong_type');
  });

  it.each<[string, unknown]>([
    ['channel', 'WEB'],
    ['channel', 'phone'],
    ['outcome', 'FAILED'],
  ])('contact with %s = %j is unknown_enum', (field, value) => {
    expect(reasonOf(C, { ...contact(), [field]: value })).toBe('unknown_enum');
  });

  it('journey and customer enums', () => {
    expect(reasonOf(W, { ...journey(), outcome: 'RESOLVED' })).toBe('unknown_enum');
    expect(reasonOf(K, { ...customerEvent(), type: 'PAUSED' })).toBe('unknown_enum');
  });

  it('rejects unknown extra fields (a misspelt defaulted field must not fall back to its default)', () => {
    const r = validateEvent(C, { ...contact(), sale_cent: 100 }, NOW);
    expect(r).toMatchObject({ ok: false, reason: 'unknown_field' });
    expect(r.ok || r.message).toContain('sale_cent');
  });

  it('reports the first decoding problem in schema order, before any validation rule', () => {
    const bad = { ...contact(), intent: 'NOT AN INTENT', event_id: '', channel: 'FAX', started_at: 'x', extra: 1 };
    expect(reasonOf(C, bad)).toBe('unknown_enum'); // channel precedes started_at in the schema
    expect(reasonOf(C, { ...bad, channel: 'PHONE' })).toBe('wrong_type');
    expect(reasonOf(C, { ...bad, channel: 'PHONE', started_at: T0 })).toBe('unknown_field');
    expect(reasonOf(C, without({ ...bad, channel: 'PHONE', started_at: T0 }, 'queue'))).toBe('missing_field');
    expect(reasonOf(C, without({ ...bad, channel: 'PHONE', started_at: T0 }, 'extra'))).toBe('empty_string');
  });

  it('never throws, whatever the value', () => {
    fc.assert(
      fc.property(fc.constantFrom(C, W, K), fc.anything(), (topic, value) => {
        const r = validateEvent(topic, value, NOW);
        if (!r.ok) expect(REJECT_REASONS).toContain(r.reason);
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('event_id', 'contact_id', 'started_at', 'ended_at', 'csat', 'channel'), fc.anything()), (patch) => {
        validateEvent(C, { ...contact(), ...patch }, NOW);
      }),
    );
  });
});

describe('validateEvent: the rules of docs/events.md', () => {
  it.each(['event_id', 'contact_id', 'customer_id', 'provider_id', 'queue', 'intent'])('contact with empty %s is empty_string', (field) => {
    expect(reasonOf(C, { ...contact(), [field]: '' })).toBe('empty_string');
  });

  it.each(['event_id', 'session_id', 'customer_id', 'journey', 'last_step'])('journey with empty %s is empty_string', (field) => {
    expect(reasonOf(W, { ...journey(), [field]: '' })).toBe('empty_string');
  });

  it('an empty journey customer_id is empty_string (null is anonymous and fine), before length and code', () => {
    expect(validateEvent(W, journey({ customer_id: '' }), NOW)).toEqual({ ok: false, reason: 'empty_string', message: 'customer_id: must not be empty' });
    expect(reasonOf(W, journey({ customer_id: null }))).toBe('ok');
    expect(reasonOf(W, journey({ customer_id: '', last_step: 'x'.repeat(257) }))).toBe('empty_string');
    expect(reasonOf(W, journey({ customer_id: '', journey: 'Bad' }))).toBe('empty_string');
    expect(reasonOf(W, journey({ customer_id: '', ended_at: T0 - 1 }))).toBe('empty_string');
    // Schema order within the clause: session_id comes before customer_id.
    const both = validateEvent(W, journey({ customer_id: '', session_id: '' }), NOW);
    expect(both.ok || both.message).toBe('session_id: must not be empty');
  });

  it.each<[typeof C | typeof K, () => object]>([
    [C, () => contact()],
    [K, () => customerEvent()],
  ])('%s: provider_id "all" is reserved_provider_id; only exactly "all"', (topic, make) => {
    expect(validateEvent(topic, { ...make(), provider_id: 'all' }, NOW)).toEqual({
      ok: false,
      reason: 'reserved_provider_id',
      message: 'provider_id: "all" is reserved for the aggregate of all providers',
    });
    for (const ok of ['alls', 'All', 'ALL', ' all', 'all ', 'prov-all']) expect(reasonOf(topic, { ...make(), provider_id: ok }), ok).toBe('ok');
  });

  it('reserved_provider_id comes right after emptiness: before length, code and every later rule', () => {
    expect(reasonOf(C, contact({ provider_id: 'all', queue: '' }))).toBe('empty_string');
    expect(reasonOf(C, contact({ provider_id: 'all', event_id: '' }))).toBe('empty_string');
    expect(reasonOf(C, contact({ provider_id: 'all', queue: 'q'.repeat(257) }))).toBe('reserved_provider_id');
    expect(reasonOf(C, contact({ provider_id: 'all', agent_id: 'a'.repeat(257) }))).toBe('reserved_provider_id');
    expect(reasonOf(C, contact({ provider_id: 'all', intent: 'Bad' }))).toBe('reserved_provider_id');
    expect(reasonOf(C, contact({ provider_id: 'all', sale_cents: -1, csat: 9 }))).toBe('reserved_provider_id');
    expect(reasonOf(K, customerEvent({ provider_id: 'all', customer_id: '' }))).toBe('empty_string');
    expect(reasonOf(K, customerEvent({ provider_id: 'all', customer_id: 'u'.repeat(300) }))).toBe('reserved_provider_id');
    expect(reasonOf(K, customerEvent({ provider_id: 'all', occurred_at: 0 }))).toBe('reserved_provider_id');
    // Decoding still comes first: the whole record is decoded before any rule.
    expect(reasonOf(C, { ...contact({ provider_id: 'all' }), sale_cents: 2 ** 53 })).toBe('wrong_type');
    expect(reasonOf(C, { ...contact({ provider_id: 'all' }), extra: 1 })).toBe('unknown_field');
    // Journeys have no provider_id: such a field is not in their schema.
    expect(reasonOf(W, { ...journey(), provider_id: 'all' })).toBe('unknown_field');
  });

  it('decodes the whole record before any rule: a decoding problem in the last field outranks an empty first one', () => {
    expect(reasonOf(C, { ...contact({ event_id: '' }), sale_cents: 2n ** 53n })).toBe('wrong_type');
    expect(reasonOf(C, { ...contact({ event_id: '' }), sale_cents: '5' })).toBe('wrong_type');
    expect(reasonOf(W, { ...journey({ customer_id: '' }), error_code: 5 })).toBe('wrong_type');
    expect(reasonOf(K, { ...customerEvent({ provider_id: 'all' }), won_by_provider: 1 })).toBe('wrong_type');
    expect(reasonOf(C, without(contact({ event_id: '' }), 'outcome'))).toBe('missing_field');
  });

  it.each(['event_id', 'customer_id', 'provider_id'])('customer event with empty %s is empty_string', (field) => {
    expect(reasonOf(K, { ...customerEvent(), [field]: '' })).toBe('empty_string');
  });

  it('any string longer than 256 code points is string_too_long, nullable ones included', () => {
    expect(reasonOf(C, contact({ queue: 'q'.repeat(257) }))).toBe('string_too_long');
    expect(reasonOf(C, contact({ agent_id: 'a'.repeat(257) }))).toBe('string_too_long');
    expect(reasonOf(C, contact({ intent: 'b'.repeat(257) }))).toBe('string_too_long');
    expect(reasonOf(C, contact({ queue: '\u{1F600}'.repeat(257) }))).toBe('string_too_long');
    expect(reasonOf(W, journey({ error_code: 'E'.repeat(300) }))).toBe('string_too_long');
    expect(reasonOf(K, customerEvent({ provider_id: 'p'.repeat(257) }))).toBe('string_too_long');
  });

  it('malformed intent and journey codes', () => {
    expect(reasonOf(C, contact({ intent: 'Billing.invoice' }))).toBe('malformed_intent');
    expect(reasonOf(C, contact({ intent: 'billing.' }))).toBe('malformed_intent');
    expect(reasonOf(W, journey({ journey: 'billing..x' }))).toBe('malformed_intent');
    expect(reasonOf(W, journey({ last_step: 'Not An Intent' }))).toBe('ok'); // only intent fields are codes
  });

  it('ended_before_started and span_over_24h (exactly 24 h passes)', () => {
    expect(reasonOf(C, contact({ started_at: T0, answered_at: T0, ended_at: T0 - 1 }))).toBe('ended_before_started');
    expect(reasonOf(W, journey({ started_at: T0, ended_at: T0 - 1 }))).toBe('ended_before_started');
    expect(reasonOf(C, contact({ started_at: T0, answered_at: T0, ended_at: T0 + DAY + 1 }))).toBe('span_over_24h');
    expect(reasonOf(W, journey({ started_at: T0, ended_at: T0 + DAY + 1 }))).toBe('span_over_24h');
    expect(reasonOf(W, journey({ started_at: T0, ended_at: T0 + DAY }))).toBe('ok');
  });

  it('answered_at and outcome must agree', () => {
    expect(reasonOf(C, contact({ answered_at: null, outcome: 'RESOLVED' }))).toBe('unanswered_not_abandoned');
    expect(reasonOf(C, contact({ answered_at: null, outcome: 'TRANSFERRED' }))).toBe('unanswered_not_abandoned');
    expect(reasonOf(C, contact({ outcome: 'ABANDONED' }))).toBe('answered_but_abandoned');
  });

  it('answered_at must lie in [started_at, ended_at]', () => {
    expect(reasonOf(C, contact({ started_at: T0, answered_at: T0 - 1 }))).toBe('answered_at_outside_contact');
    expect(reasonOf(C, contact({ started_at: T0, answered_at: T0 + 1, ended_at: T0 }))).toBe('answered_at_outside_contact');
  });

  it('csat is 1..5 and never on an abandoned contact', () => {
    expect(reasonOf(C, contact({ csat: 0 }))).toBe('csat_out_of_range');
    expect(reasonOf(C, contact({ csat: 6 }))).toBe('csat_out_of_range');
    expect(reasonOf(C, contact({ csat: -1 }))).toBe('csat_out_of_range');
    expect(reasonOf(C, abandoned({ csat: 3 }))).toBe('csat_on_abandoned');
    expect(reasonOf(C, abandoned({ csat: 9 }))).toBe('csat_out_of_range'); // range comes first in rule order
  });

  it('sale_cents must not be negative', () => {
    expect(reasonOf(C, contact({ sale_cents: -1 }))).toBe('negative_sale');
    expect(reasonOf(C, abandoned({ sale_cents: 0 }))).toBe('ok');
  });

  it('every timestamp must be on or after 2000-01-01', () => {
    const y2k = 946_684_800_000;
    expect(reasonOf(C, contact({ started_at: y2k - 1, answered_at: y2k, ended_at: y2k }))).toBe('timestamp_before_2000');
    expect(reasonOf(W, journey({ started_at: y2k - DAY, ended_at: y2k - 1 }))).toBe('timestamp_before_2000');
    expect(reasonOf(K, customerEvent({ occurred_at: y2k - 1 }))).toBe('timestamp_before_2000');
    expect(reasonOf(K, customerEvent({ occurred_at: '1999-12-31T23:59:59.999999Z' as unknown as number }))).toBe('timestamp_before_2000');
  });

  it('no timestamp more than 24 h after the wall clock (24 h exactly passes)', () => {
    const now = T0;
    expect(reasonOf(C, contact({ started_at: now + DAY - 5 * 60_000 }), now)).toBe('ok');
    expect(reasonOf(C, contact({ started_at: now + DAY - 5 * 60_000 + 1 }), now)).toBe('timestamp_in_future');
    expect(reasonOf(K, customerEvent({ occurred_at: now + DAY }), now)).toBe('ok');
    expect(reasonOf(K, customerEvent({ occurred_at: now + DAY + 1 }), now)).toBe('timestamp_in_future');
    expect(reasonOf(W, journey({ started_at: now + DAY, ended_at: now + DAY + 1 }), now)).toBe('timestamp_in_future');
  });

  it('checks answered_at among the timestamps', () => {
    // started_at and ended_at are fine; only answered_at is before 2000 — but it is outside the contact first.
    expect(reasonOf(C, contact({ answered_at: 0 }))).toBe('answered_at_outside_contact');
  });

  it('the first rule broken, in rule order, is the reason', () => {
    let c: Record<string, unknown> = {
      ...contact(),
      event_id: '',
      provider_id: 'all',
      queue: 'q'.repeat(300),
      intent: 'Bad',
      started_at: 0,
      answered_at: null,
      ended_at: DAY * 2,
      outcome: 'RESOLVED',
      csat: 9,
      sale_cents: -5,
    };
    const seen: RejectReason[] = [];
    const fixes: Record<string, unknown>[] = [
      { event_id: 'e1' },
      { provider_id: 'prov-a' },
      { queue: 'q' },
      { intent: 'billing.x' },
      { ended_at: -1 },
      { ended_at: 0 },
      { answered_at: 1, outcome: 'ABANDONED' },
      { outcome: 'RESOLVED' },
      { answered_at: 0 },
      { csat: 3, answered_at: null, outcome: 'ABANDONED' },
      { csat: null },
      { sale_cents: 0 },
      { started_at: NOW + 2 * DAY, ended_at: NOW + 2 * DAY },
    ];
    for (const fix of fixes) {
      const r = validateEvent(C, c, NOW);
      expect(r.ok).toBe(false);
      if (!r.ok) seen.push(r.reason);
      c = { ...c, ...fix };
    }
    expect(validateEvent(C, c, NOW).ok).toBe(false);
    expect(seen).toEqual([
      'empty_string',
      'reserved_provider_id',
      'string_too_long',
      'malformed_intent',
      'span_over_24h',
      'ended_before_started',
      'unanswered_not_abandoned',
      'answered_but_abandoned',
      'answered_at_outside_contact',
      'csat_out_of_range',
      'csat_on_abandoned',
      'negative_sale',
      'timestamp_before_2000',
    ]);
    expect(reasonOf(C, c)).toBe('timestamp_in_future');
    // The order of the rules (docs/events.md) is the order of REJECT_REASONS.
    const idx = seen.map((r) => REJECT_REASONS.indexOf(r));
    expect(idx.filter((i) => i < 0)).toEqual([]);
  });

  it('keeps the decoded event on failures of rules after duplicate_contact_id only', () => {
    const future = validateEvent(C, contact({ started_at: NOW + 2 * DAY }), NOW);
    expect(future).toMatchObject({ ok: false, reason: 'timestamp_in_future', event: { contact_id: 'c1' } });
    const early = validateEvent(C, { ...contact(), started_at: '1999-12-31T23:59:00Z', answered_at: null, outcome: 'ABANDONED', ended_at: 946_684_800_000 }, NOW);
    expect(early).toMatchObject({ ok: false, reason: 'timestamp_before_2000' });
    expect(early.ok || early.event).toBeTruthy();
    const csat = validateEvent(C, contact({ csat: 7 }), NOW);
    expect(csat.ok || 'event' in csat).toBe(false);
  });
});

describe('validateEvent: topic', () => {
  it.each(['cx.signals.v1', 'constructor', '__proto__', ''])('an unknown topic %j is unknown_topic, never a crash', (topic) => {
    expect(validateEvent(topic as typeof C, contact(), NOW)).toMatchObject({ ok: false, reason: 'unknown_topic' });
  });
});

describe('REJECT_REASONS', () => {
  it('lists stable snake_case codes once each, rules in rule order', () => {
    expect(new Set(REJECT_REASONS).size).toBe(REJECT_REASONS.length);
    for (const r of REJECT_REASONS) expect(r).toMatch(/^[a-z]+(_[a-z0-9]+)*$/);
    const specOrder: RejectReason[] = [
      'empty_string',
      'reserved_provider_id',
      'string_too_long',
      'malformed_intent',
      'ended_before_started',
      'span_over_24h',
      'unanswered_not_abandoned',
      'answered_but_abandoned',
      'answered_at_outside_contact',
      'csat_out_of_range',
      'csat_on_abandoned',
      'negative_sale',
      'duplicate_contact_id',
      'timestamp_before_2000',
      'timestamp_in_future',
    ];
    expect(REJECT_REASONS.filter((r) => specOrder.includes(r))).toEqual(specOrder);
    expect(REJECT_REASONS).toContain('undecodable');
    expect(REJECT_REASONS).toContain('unknown_topic');
  });
});

describe('decodeEvent: the decoding step alone', () => {
  it('normalises like validateEvent (ISO timestamps to epoch ms, defaults filled) and leaves the rules to the workers', () => {
    const c = contact({ csat: 6 });
    const iso = { ...c, ended_at: new Date(c.ended_at).toISOString() };
    expect(decodeEvent(C, iso)).toEqual({ ok: true, event: c });
    expect(reasonOf(C, c)).toBe('csat_out_of_range');
  });

  it('reports what the schema cannot hold', () => {
    expect(decodeEvent(C, { ...contact(), csat: 'four' })).toMatchObject({ ok: false, reason: 'wrong_type' });
    expect(decodeEvent(W, without(journey(), 'journey'))).toMatchObject({ ok: false, reason: 'missing_field' });
    expect(decodeEvent(K, { ...customerEvent(), extra: 1 })).toMatchObject({ ok: false, reason: 'unknown_field' });
    expect(decodeEvent('cx.nope.v1' as typeof C, contact())).toMatchObject({ ok: false, reason: 'unknown_topic' });
  });
});
