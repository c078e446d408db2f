import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REJECT_REASONS, TOPICS, validateEvent, type RejectReason } from '../src/index.ts';
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

  it('allows empty nullable strings (only non-nullable strings must be non-empty)', () => {
    expect(reasonOf(C, contact({ agent_id: '' }))).toBe('ok');
    expect(reasonOf(W, journey({ error_code: '' }))).toBe('ok');
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

  it('reports the first decoding problem in schema order, before any SPEC rule', () => {
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

describe('validateEvent: SPEC rules', () => {
  it.each(['event_id', 'contact_id', 'customer_id', 'provider_id', 'queue', 'intent'])('contact with empty %s is empty_string', (field) => {
    expect(reasonOf(C, { ...contact(), [field]: '' })).toBe('empty_string');
  });

  it.each(['event_id', 'session_id', 'journey', 'last_step'])('journey with empty %s is empty_string', (field) => {
    expect(reasonOf(W, { ...journey(), [field]: '' })).toBe('empty_string');
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
    expect(reasonOf(C, abandoned({ csat: 9 }))).toBe('csat_out_of_range'); // range comes first in SPEC order
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

  it('the first rule broken, in SPEC order, is the reason', () => {
    let c: Record<string, unknown> = {
      ...contact(),
      event_id: '',
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
    // The order of the SPEC rules is the order of REJECT_REASONS.
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
  it('lists stable snake_case codes once each, SPEC rules in SPEC order', () => {
    expect(new Set(REJECT_REASONS).size).toBe(REJECT_REASONS.length);
    for (const r of REJECT_REASONS) expect(r).toMatch(/^[a-z]+(_[a-z0-9]+)*$/);
    const specOrder: RejectReason[] = [
      'empty_string',
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
