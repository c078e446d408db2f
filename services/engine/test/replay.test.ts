import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION, TOPICS, replay, type ReplayRecord } from '../src/index.ts';
import { DAY, HOUR, MIN, NOW, T0, abandoned, contact, customerEvent, journey } from './fixtures.ts';

const C = TOPICS.contacts;
const W = TOPICS.web;
const K = TOPICS.customers;

const lines = (...records: Array<[string, unknown]>): ReplayRecord[] => records.map(([topic, value], i) => ({ line: i + 1, topic, value }));

describe('replay', () => {
  it('reproduces a repeat charged to the prior provider, one hour after it', () => {
    const e2 = contact({ event_id: 'e2', contact_id: 'c2', provider_id: 'prov-b', started_at: T0 - HOUR - 5 * MIN });
    const e9 = contact({ event_id: 'e9', contact_id: 'c9', provider_id: 'prov-a', started_at: e2.ended_at + HOUR });
    const result = replay(lines([C, e9], [C, e2]), { nowMs: NOW });
    expect(result.signals).toEqual([
      expect.objectContaining({
        kind: 'REPEAT_CONTACT',
        contact_event_id: 'e9',
        contact_id: 'c9',
        prior_event_id: 'e2',
        prior_id: 'c2',
        customer_id: 'u1',
        intent_family: 'billing',
        contact_provider_id: 'prov-a',
        prior_provider_id: 'prov-b',
        gap_ms: 3_600_000,
      }),
    ]);
    expect(result.rejected).toEqual([]);
    expect(result.duplicates).toBe(0);
    expect(result.accepted.map((e) => e.event_id)).toEqual(['e2', 'e9']);
    expect(result.watermarkMs).toBe(e9.ended_at);
  });

  it('reports rejections with their line, readable event_id and reason', () => {
    const result = replay(
      [
        { line: 3, topic: C, value: contact({ event_id: 'e17', answered_at: T0 - 1 }) },
        { line: 4, topic: 'cx.unknown.v1', value: { event_id: 'x1' } },
        { line: 7, topic: C, value: { ...contact({ event_id: 'e18' }), channel: 'FAX' } },
        { line: 8, topic: W, value: { nonsense: true } },
        { line: 9, topic: K, value: { ...customerEvent(), event_id: '' } },
        { line: 12, topic: C, value: ['not', 'an', 'object'] },
      ],
      { nowMs: NOW },
    );
    expect(result.rejected).toEqual([
      { line: 3, event_id: 'e17', reason: 'answered_at_outside_contact' },
      { line: 4, event_id: 'x1', reason: 'unknown_topic' },
      { line: 7, event_id: 'e18', reason: 'unknown_enum' },
      { line: 8, event_id: null, reason: 'missing_field' },
      { line: 9, event_id: null, reason: 'empty_string' },
      { line: 12, event_id: null, reason: 'wrong_type' },
    ]);
    expect(result.accepted).toEqual([]);
    expect(result.watermarkMs).toBeNull();
  });

  it('judges duplicates and duplicate_contact_id in input order, not event-time order', () => {
    const first = contact({ event_id: 'e1', contact_id: 'c1', started_at: T0 + DAY });
    const earlierButSecond = contact({ event_id: 'e2', contact_id: 'c1', started_at: T0 });
    const result = replay(lines([C, first], [C, earlierButSecond], [C, { ...first, queue: 'changed' }]), { nowMs: NOW });
    expect(result.accepted.map((e) => e.event_id)).toEqual(['e1']);
    expect(result.rejected).toEqual([{ line: 2, event_id: 'e2', reason: 'duplicate_contact_id' }]);
    expect(result.duplicates).toBe(1);
  });

  it('sorts accepted events by (event time, started_at, event_id) before detection', () => {
    const j = journey({ event_id: 'w1', started_at: T0 - 10 * MIN });
    const b = contact({ event_id: 'eB', contact_id: 'cB', started_at: T0 });
    const k = customerEvent({ event_id: 'k1', occurred_at: T0 - HOUR });
    const result = replay(lines([C, b], [K, k], [W, j]), { nowMs: NOW });
    expect(result.accepted.map((e) => e.event_id)).toEqual(['k1', 'w1', 'eB']);
    expect(result.signals.map((s) => [s.kind, s.prior_id])).toEqual([['CHANNEL_SWITCH', 's1']]);
  });

  it('orders signals by contact_ended_at, then contact_event_id in code-point order', () => {
    const a = contact({ event_id: 'a', contact_id: 'ca', customer_id: 'u1', started_at: T0 });
    const b10 = contact({ event_id: 'e10', contact_id: 'c10', customer_id: 'u1', started_at: T0 + HOUR });
    const p = contact({ event_id: 'p', contact_id: 'cp', customer_id: 'u2', started_at: T0 });
    const b9 = contact({ event_id: 'e9', contact_id: 'c9', customer_id: 'u2', started_at: T0 + HOUR });
    const early = contact({ event_id: 'z', contact_id: 'cz', customer_id: 'u3', started_at: T0 - DAY });
    const zz = contact({ event_id: 'zz', contact_id: 'czz', customer_id: 'u3', started_at: T0 - DAY + HOUR });
    const result = replay(lines([C, b9], [C, b10], [C, p], [C, a], [C, zz], [C, early]), { nowMs: NOW });
    expect(result.signals.map((s) => s.contact_event_id)).toEqual(['zz', 'e10', 'e9']);
  });

  it('applies the given settings and wall clock', () => {
    const a = contact({ event_id: 'a', contact_id: 'ca', started_at: T0 });
    const b = contact({ event_id: 'b', contact_id: 'cb', started_at: T0 + 2 * HOUR, intent: 'tariff.change' });
    expect(replay(lines([C, a], [C, b]), { nowMs: NOW }).signals).toEqual([]);
    expect(replay(lines([C, a], [C, b]), { nowMs: NOW, settings: { ...DEFAULT_DETECTION, matchIntentFamily: false } }).signals).toHaveLength(1);
    expect(replay(lines([C, a]), { nowMs: T0 - 2 * DAY }).rejected).toEqual([{ line: 1, event_id: 'a', reason: 'timestamp_in_future' }]);
  });

  it('abandoned contacts and anonymous journeys are accepted but never link', () => {
    const anon = journey({ event_id: 'w', customer_id: null, started_at: T0 - 10 * MIN });
    const ab = abandoned({ event_id: 'x', contact_id: 'cx', started_at: T0 - 5 * MIN, ended_at: T0 - 4 * MIN });
    const b = contact({ event_id: 'b', contact_id: 'cb', started_at: T0 });
    const result = replay(lines([W, anon], [C, ab], [C, b]), { nowMs: NOW });
    expect(result.accepted).toHaveLength(3);
    expect(result.signals).toEqual([]);
  });

  it('takes ISO-8601 timestamps as a replay file carries them', () => {
    const a = { ...contact({ event_id: 'a', contact_id: 'ca' }), started_at: '2026-11-03T10:00:00.000999Z', answered_at: '2026-11-03T11:00:10+01:00', ended_at: '2026-11-03T10:05:00Z' };
    const b = { ...contact({ event_id: 'b', contact_id: 'cb' }), started_at: '2026-11-03T10:05:00.000999Z', answered_at: '2026-11-03T10:05:10Z', ended_at: '2026-11-03T10:09:00Z' };
    const result = replay(lines([C, b], [C, a]), { nowMs: NOW });
    expect(result.signals.map((s) => [s.prior_event_id, s.gap_ms])).toEqual([['a', 0]]);
  });
});
