import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_DETECTION,
  DEFAULT_MAX_TIMELINE_ENTRIES,
  earliestFutureStart,
  InMemoryTimelineStore,
  addToTimeline,
  comparePriors,
  detectInOrder,
  detectionSettingsOf,
  pruneTimeline,
  selectPrior,
  signalFor,
  timelineEntryOf,
  timelineCutoff,
  compareEventsByOrder,
  type ContactEvent,
  type DetectionSettings,
  type InputEvent,
  type TimelineEntry,
} from '../src/index.ts';
import { DAY, HOUR, MIN, T0, abandoned, contact, customerEvent, journey } from './fixtures.ts';

const R = DEFAULT_DETECTION.repeatWindowMs;
const S = DEFAULT_DETECTION.switchWindowMs;

function entries(...events: InputEvent[]): TimelineEntry[] {
  return events.map((e) => timelineEntryOf(e)).filter((e): e is TimelineEntry => e !== null);
}

/** A answered contact ending at `endedAt`, and B starting `gap` ms later. */
function pair(gap: number, overA: Partial<ContactEvent> = {}, overB: Partial<ContactEvent> = {}) {
  const a = contact({ event_id: 'eA', contact_id: 'cA', provider_id: 'prov-b', started_at: T0 - 5 * MIN, ...overA });
  const b = contact({ event_id: 'eB', contact_id: 'cB', started_at: a.ended_at + gap, ...overB });
  return { a, b };
}

function priorId(b: ContactEvent, list: TimelineEntry[], settings: DetectionSettings = DEFAULT_DETECTION): string | null {
  return selectPrior(b, list, settings)?.event_id ?? null;
}

describe('DEFAULT_DETECTION', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_DETECTION).toEqual({
      repeatWindowMs: 7 * DAY,
      switchWindowMs: DAY,
      switchOutcomes: ['ABANDONED', 'FAILED'],
      switchToChannels: ['PHONE'],
      matchIntentFamily: true,
      allowedLatenessMs: 2 * MIN,
    });
  });

  it('converts the config loader’s snake_case block', () => {
    expect(
      detectionSettingsOf({
        repeat_window_ms: 1,
        switch_window_ms: 2,
        switch_outcomes: ['FAILED'],
        switch_to_channels: ['PHONE', 'CHAT'],
        match_intent_family: false,
        allowed_lateness_ms: 3,
      }),
    ).toEqual({ repeatWindowMs: 1, switchWindowMs: 2, switchOutcomes: ['FAILED'], switchToChannels: ['PHONE', 'CHAT'], matchIntentFamily: false, allowedLatenessMs: 3 });
  });
});

describe('timelineEntryOf', () => {
  it('answered contacts and identified journeys with a switch outcome can be priors', () => {
    expect(timelineEntryOf(contact())).toEqual({
      kind: 'contact',
      event_id: 'e1',
      id: 'c1',
      customer_id: 'u1',
      provider_id: 'prov-a',
      channel: 'PHONE',
      family: 'billing',
      started_at: T0,
      ended_at: T0 + 5 * MIN,
    });
    expect(timelineEntryOf(journey({ outcome: 'ABANDONED' }))).toEqual({
      kind: 'journey',
      event_id: 'w1',
      id: 's1',
      customer_id: 'u1',
      provider_id: null,
      channel: null,
      family: 'billing',
      started_at: T0,
      ended_at: T0 + 2 * MIN,
    });
  });

  it('abandoned contacts, completed or anonymous journeys and customer events never are', () => {
    expect(timelineEntryOf(abandoned())).toBeNull();
    expect(timelineEntryOf(journey({ outcome: 'COMPLETED' }))).toBeNull();
    expect(timelineEntryOf(journey({ customer_id: null }))).toBeNull();
    expect(timelineEntryOf(customerEvent())).toBeNull();
    expect(timelineEntryOf(journey({ outcome: 'ABANDONED' }), { ...DEFAULT_DETECTION, switchOutcomes: ['FAILED'] })).toBeNull();
  });
});

describe('selectPrior: repeat window', () => {
  it('includes B.started_at = A.ended_at + R and excludes + R + 1 ms', () => {
    const atR = pair(R);
    expect(priorId(atR.b, entries(atR.a))).toBe('eA');
    const pastR = pair(R + 1);
    expect(priorId(pastR.b, entries(pastR.a))).toBeNull();
  });

  it('includes a gap of 0 (B starts the millisecond A ends)', () => {
    const { a, b } = pair(0);
    expect(priorId(b, entries(a))).toBe('eA');
    expect(signalFor(b, selectPrior(b, entries(a))!).gap_ms).toBe(0);
  });

  it('overlapping contacts are not candidates (A must end by the time B starts)', () => {
    const { a, b } = pair(-1);
    expect(priorId(b, entries(a))).toBeNull();
    // B is not A's prior either: B ended after A started.
    expect(priorId(a, entries(b))).toBeNull();
  });

  it('a later contact is never the prior of an earlier one', () => {
    const { a, b } = pair(HOUR);
    expect(priorId(a, entries(a, b))).toBeNull();
  });

  it('A ≠ B: a contact is never its own prior, even as a zero-duration record', () => {
    const z = contact({ started_at: T0, answered_at: T0, ended_at: T0 });
    expect(priorId(z, entries(z))).toBeNull();
    expect(priorId(z, entries(contact({ ...z, event_id: 'other-event' })))).toBeNull(); // same contact_id
  });

  it('abandoned contacts are never priors and yield no signal', () => {
    const { a, b } = pair(HOUR);
    const aAbandoned = abandoned({ ...a, answered_at: null, outcome: 'ABANDONED' });
    expect(priorId(b, entries(aAbandoned))).toBeNull();
    // An abandoned B has no prior even if an answered A would qualify.
    expect(selectPrior(abandoned({ ...b, answered_at: null, outcome: 'ABANDONED' }), entries(a))).toBeNull();
    // Also when handed a hand-built entry: the contact's answered_at decides.
    expect(selectPrior({ ...b, answered_at: null }, [{ ...timelineEntryOf(a)! }])).toBeNull();
  });

  it('matches intent families unless told not to', () => {
    const { a, b } = pair(HOUR, { intent: 'tariff.change' }, { intent: 'billing.invoice_question' });
    expect(priorId(b, entries(a))).toBeNull();
    expect(priorId(b, entries(a), { ...DEFAULT_DETECTION, matchIntentFamily: false })).toBe('eA');
    const same = pair(HOUR, { intent: 'billing.refund' }, { intent: 'billing' });
    expect(priorId(same.b, entries(same.a))).toBe('eA');
  });

  it('a repeat may come on any channel from any channel', () => {
    const { a, b } = pair(HOUR, { channel: 'EMAIL' }, { channel: 'CHAT' });
    expect(priorId(b, entries(a))).toBe('eA');
  });

  it('only the same customer’s entries count', () => {
    const { a, b } = pair(HOUR, { customer_id: 'u2' });
    expect(priorId(b, entries(a))).toBeNull();
  });

  it('honours a custom repeat window', () => {
    const { a, b } = pair(HOUR + 1);
    expect(priorId(b, entries(a), { ...DEFAULT_DETECTION, repeatWindowMs: HOUR })).toBeNull();
    expect(priorId(pair(HOUR).b, entries(pair(HOUR).a), { ...DEFAULT_DETECTION, repeatWindowMs: HOUR })).toBe('eA');
  });
});

describe('selectPrior: switch window', () => {
  const failed = (gap: number, over: Parameters<typeof journey>[0] = {}) => {
    const j = journey({ event_id: 'wJ', session_id: 'sJ', started_at: T0 - 10 * MIN, ...over });
    const b = contact({ event_id: 'eB', contact_id: 'cB', started_at: j.ended_at + gap });
    return { j, b };
  };

  it('includes B.started_at = J.ended_at + S and excludes + S + 1 ms', () => {
    expect(priorId(failed(S).b, entries(failed(S).j))).toBe('wJ');
    expect(priorId(failed(S + 1).b, entries(failed(S + 1).j))).toBeNull();
    expect(priorId(failed(0).b, entries(failed(0).j))).toBe('wJ');
    expect(priorId(failed(-1).b, entries(failed(-1).j))).toBeNull();
  });

  it('ABANDONED and FAILED journeys switch, COMPLETED ones do not', () => {
    expect(priorId(failed(MIN, { outcome: 'ABANDONED' }).b, entries(failed(MIN, { outcome: 'ABANDONED' }).j))).toBe('wJ');
    const completed = failed(MIN, { outcome: 'COMPLETED' });
    expect(priorId(completed.b, entries(completed.j))).toBeNull();
    // Even a hand-built entry: the outcome filter lives in timelineEntryOf, the channel filter here.
  });

  it('anonymous journeys never link', () => {
    const { j, b } = failed(MIN, { customer_id: null });
    expect(priorId(b, entries(j))).toBeNull();
  });

  it('only switch target channels look at journeys: a CHAT after a failed journey is no switch', () => {
    const { j, b } = failed(MIN);
    const chat = { ...b, channel: 'CHAT' as const };
    expect(priorId(chat, entries(j))).toBeNull();
    expect(priorId(chat, entries(j), { ...DEFAULT_DETECTION, switchToChannels: ['PHONE', 'CHAT'] })).toBe('wJ');
  });

  it('a CHAT after a failed journey still repeats an earlier contact', () => {
    const a = contact({ event_id: 'eA', contact_id: 'cA', started_at: T0 - HOUR });
    const { j, b } = failed(MIN);
    const chat = { ...b, channel: 'CHAT' as const };
    expect(priorId(chat, entries(a, j))).toBe('eA');
    expect(priorId(b, entries(a, j))).toBe('wJ'); // on PHONE the later-ending journey wins
  });

  it('matches journey and contact families unless told not to', () => {
    const { j, b } = failed(MIN, { journey: 'tariff.compare' });
    expect(priorId(b, entries(j))).toBeNull();
    expect(priorId(b, entries(j), { ...DEFAULT_DETECTION, matchIntentFamily: false })).toBe('wJ');
  });

  it('the switch window is S, not R', () => {
    const { j, b } = failed(2 * DAY);
    expect(priorId(b, entries(j))).toBeNull();
    expect(priorId(b, entries(j), { ...DEFAULT_DETECTION, switchWindowMs: 2 * DAY })).toBe('wJ');
  });
});

describe('selectPrior: ties', () => {
  const end = T0;
  const b = contact({ event_id: 'eB', contact_id: 'cB', started_at: end + HOUR });
  const c = (id: string, startedAt: number, endedAt = end) =>
    contact({ event_id: id, contact_id: `c-${id}`, started_at: startedAt, answered_at: startedAt, ended_at: endedAt });
  const j = (id: string, startedAt: number, endedAt = end) => journey({ event_id: id, session_id: `s-${id}`, started_at: startedAt, ended_at: endedAt });

  it('the latest ended_at wins, whatever the kind', () => {
    expect(priorId(b, entries(c('e1', end - HOUR), j('w1', end - HOUR, end + 1)))).toBe('w1');
    expect(priorId(b, entries(c('e1', end - HOUR, end + 1), j('w1', end - MIN)))).toBe('e1');
  });

  it('on equal ended_at a contact beats a journey, even one that started later', () => {
    expect(priorId(b, entries(j('w1', end - MIN), c('e1', end - HOUR)))).toBe('e1');
    expect(priorId(b, entries(c('e1', end - HOUR), j('w1', end - MIN)))).toBe('e1');
  });

  it('then the later started_at wins', () => {
    expect(priorId(b, entries(c('e9', end - HOUR), c('e1', end - MIN)))).toBe('e1');
    expect(priorId(b, entries(j('w9', end - HOUR), j('w1', end - MIN)))).toBe('w1');
  });

  it('then the greater event_id in code-point order (not locale order)', () => {
    expect(priorId(b, entries(c('e10', end - MIN), c('e9', end - MIN)))).toBe('e9');
    expect(priorId(b, entries(c('a', end - MIN), c('B', end - MIN)))).toBe('a'); // 'a' (0x61) > 'B' (0x42)
    expect(priorId(b, entries(c('\uFF21', end - MIN), c('\u{1F600}', end - MIN)))).toBe('\u{1F600}');
    expect(priorId(b, entries(j('w-a', end - MIN), j('w-b', end - MIN)))).toBe('w-b');
  });

  it('comparePriors is a total order consistent with the rules', () => {
    const list = entries(c('e1', end - MIN), c('e2', end - MIN), j('w1', end - MIN), c('e0', end - HOUR), j('w0', end - 1, end + 1));
    const sorted = [...list].sort(comparePriors).map((e) => e.event_id);
    expect(sorted).toEqual(['w1', 'e0', 'e1', 'e2', 'w0']);
  });

  it('the result does not depend on the entries’ order', () => {
    const list = entries(c('e1', end - MIN), c('e2', end - MIN), j('w1', end - MIN), c('e0', end - HOUR));
    expect(priorId(b, list)).toBe('e2');
    expect(priorId(b, [...list].reverse())).toBe('e2');
  });
});

describe('signalFor', () => {
  it('builds a REPEAT_CONTACT charged to the prior’s provider', () => {
    const { a, b } = pair(HOUR, {}, { provider_id: 'prov-a', channel: 'CHAT', intent: 'billing.refund' });
    expect(signalFor(b, timelineEntryOf(a)!)).toEqual({
      signal_id: 'sig:eB',
      kind: 'REPEAT_CONTACT',
      customer_id: 'u1',
      contact_event_id: 'eB',
      contact_id: 'cB',
      contact_provider_id: 'prov-a',
      contact_channel: 'CHAT',
      contact_ended_at: b.ended_at,
      intent_family: 'billing',
      prior_event_id: 'eA',
      prior_id: 'cA',
      prior_provider_id: 'prov-b',
      prior_ended_at: a.ended_at,
      gap_ms: HOUR,
    });
  });

  it('builds a CHANNEL_SWITCH with the session as prior_id and no prior provider', () => {
    const j = journey({ event_id: 'wJ', session_id: 'sJ' });
    const b = contact({ event_id: 'eB', contact_id: 'cB', started_at: j.ended_at + 90_000 });
    expect(signalFor(b, timelineEntryOf(j)!)).toMatchObject({
      signal_id: 'sig:eB',
      kind: 'CHANNEL_SWITCH',
      prior_event_id: 'wJ',
      prior_id: 'sJ',
      prior_provider_id: null,
      prior_ended_at: j.ended_at,
      gap_ms: 90_000,
    });
  });

  it('signal_id depends on B’s event_id alone', () => {
    const { a, b } = pair(HOUR);
    const other = contact({ event_id: 'eX', contact_id: 'cX', started_at: T0 - DAY });
    expect(signalFor(b, timelineEntryOf(a)!).signal_id).toBe(signalFor(b, timelineEntryOf(other)!).signal_id);
  });
});

describe('pruneTimeline', () => {
  const L = DEFAULT_DETECTION.allowedLatenessMs;
  const at = (id: string, endedAt: number, over: Partial<ContactEvent> = {}) =>
    contact({ event_id: id, contact_id: id, started_at: endedAt - MIN, answered_at: endedAt - MIN, ended_at: endedAt, ...over });
  const jAt = (id: string, endedAt: number) => journey({ event_id: id, session_id: id, started_at: endedAt - MIN, ended_at: endedAt });
  const ids = (p: { entries: TimelineEntry[] }) => p.entries.map((e) => e.event_id);

  it('drops what no contact arriving in order could still link to', () => {
    const w = T0 + 30 * DAY;
    expect(earliestFutureStart(w, DEFAULT_DETECTION)).toBe(w - L - DAY);
    expect(timelineCutoff('contact', w, DEFAULT_DETECTION)).toBe(w - L - DAY - R);
    expect(timelineCutoff('journey', w, DEFAULT_DETECTION)).toBe(w - L - DAY - S);
    const cut = w - L - DAY;
    const kept = pruneTimeline(entries(at('old', cut - R - 1), at('edge', cut - R), jAt('jold', cut - S - 1), jAt('jedge', cut - S)), w);
    expect(ids(kept)).toEqual(['edge', 'jedge']);
    expect(kept.truncated).toBe(0);

    // The tightest in-order contact: ends at w − L, started 24 h before, and links back exactly R.
    const b = contact({ event_id: 'b', contact_id: 'b', channel: 'CHAT', started_at: w - L - DAY, answered_at: w - L - DAY, ended_at: w - L });
    expect(selectPrior(b, kept.entries)?.event_id).toBe('edge');
    expect(selectPrior({ ...b, channel: 'PHONE' }, kept.entries)?.event_id).toBe('jedge');
  });

  it('returns entries sorted by comparePriors', () => {
    const list = entries(contact({ event_id: 'x2', contact_id: 'x2', started_at: T0 + HOUR }), contact({ event_id: 'x1', contact_id: 'x1' }));
    expect(ids(pruneTimeline(list, T0))).toEqual(['x1', 'x2']);
  });

  it('of the entries every future contact starts after, keeps only the latest of each (kind, family) group', () => {
    const w = T0 + 10 * DAY;
    const minStart = earliestFutureStart(w, DEFAULT_DETECTION);
    const old = Array.from({ length: 10 }, (_, i) => at(`b${i}`, minStart - (10 - i) * HOUR));
    const tariff = [at('t1', minStart - 3 * DAY, { intent: 'tariff.change' }), at('t2', minStart - 2 * DAY, { intent: 'tariff.change' })];
    const jj = [jAt('w1', minStart - 5 * HOUR), jAt('w2', minStart)];
    // ended after minStart: a future contact may start between them, so every one stays
    const recent = [at('r1', minStart + 1), at('r2', minStart + 1), at('r3', w)];
    const kept = pruneTimeline(entries(...old, ...tariff, ...jj, ...recent), w);
    expect(ids(kept)).toEqual(['t2', 'b9', 'w2', 'r1', 'r2', 'r3']);
    // Without family matching, contacts of all families form one group.
    const loose = pruneTimeline(entries(...old, ...tariff, ...jj, ...recent), w, { ...DEFAULT_DETECTION, matchIntentFamily: false });
    expect(ids(loose)).toEqual(['b9', 'w2', 'r1', 'r2', 'r3']);
  });

  it('the dominant entry is every future contact’s answer among the pruned ones (both signs of the window)', () => {
    const w = T0 + 10 * DAY;
    const minStart = earliestFutureStart(w, DEFAULT_DETECTION);
    const all = entries(...Array.from({ length: 6 }, (_, i) => at(`a${i}`, minStart - R + i * HOUR)));
    const kept = pruneTimeline(all, w).entries;
    for (const start of [minStart, minStart + 4 * HOUR, minStart + 5 * HOUR, minStart + 5 * HOUR + 1, w]) {
      const b = contact({ event_id: 'B', contact_id: 'B', started_at: start, answered_at: start, ended_at: Math.max(start, w - L) });
      expect(selectPrior(b, kept)).toEqual(selectPrior(b, all));
    }
    // just past the newest's window nothing links, with or without pruning
    const late = contact({ event_id: 'B', contact_id: 'B', started_at: minStart + 5 * HOUR + 1, answered_at: minStart + 5 * HOUR + 1, ended_at: w });
    expect(selectPrior(late, all)).toBeNull();
  });

  it('one contact A, then a 23-hour contact B during which hundreds of chats of the family end: B repeats A', () => {
    for (const chats of [62, 63, 500]) {
      const a = contact({ event_id: 'A', contact_id: 'A', started_at: T0, answered_at: T0, ended_at: T0 + MIN });
      const bStart = T0 + 2 * HOUR;
      const b = contact({ event_id: 'B', contact_id: 'B', channel: 'PHONE', started_at: bStart, answered_at: bStart, ended_at: bStart + 23 * HOUR });
      const flood = Array.from({ length: chats }, (_, i) =>
        contact({ event_id: `x${i}`, contact_id: `x${i}`, channel: 'CHAT', started_at: bStart + 1 + i * MIN, answered_at: bStart + 1 + i * MIN, ended_at: bStart + 1 + i * MIN }),
      );
      const signals = detectInOrder([a, b, ...flood].sort(compareEventsByOrder), new InMemoryTimelineStore());
      expect(signals.find((x) => x.contact_event_id === 'B')?.prior_event_id).toBe('A');
    }
  });

  it('a flood up to the safety bound keeps every choosable entry; beyond it the oldest go and are counted', () => {
    const w = T0 + DAY;
    const flood = (n: number) => entries(...Array.from({ length: n }, (_, i) => at(`f${String(i).padStart(5, '0')}`, w - i)));
    const atBound = pruneTimeline(flood(DEFAULT_MAX_TIMELINE_ENTRIES), w);
    expect(atBound.entries).toHaveLength(DEFAULT_MAX_TIMELINE_ENTRIES);
    expect(atBound.truncated).toBe(0);
    const beyond = pruneTimeline(flood(DEFAULT_MAX_TIMELINE_ENTRIES + 7), w);
    expect(beyond.entries).toHaveLength(DEFAULT_MAX_TIMELINE_ENTRIES);
    expect(beyond.truncated).toBe(7);
    expect(beyond.entries[0]!.ended_at).toBe(w - DEFAULT_MAX_TIMELINE_ENTRIES + 1); // the newest are kept
    expect(pruneTimeline(flood(10), w, DEFAULT_DETECTION, 4)).toMatchObject({ truncated: 6 });
    expect(DEFAULT_MAX_TIMELINE_ENTRIES).toBeGreaterThanOrEqual(1000);
  });

  it('detectInOrder reports what the safety bound dropped, per customer', () => {
    const flood = Array.from({ length: 30 }, (_, i) => contact({ event_id: `f${i}`, contact_id: `f${i}`, started_at: T0 + i, answered_at: T0 + i, ended_at: T0 + i }));
    const dropped: Array<[string, number]> = [];
    detectInOrder(flood, new InMemoryTimelineStore(), { maxTimelineEntries: 25, onTruncated: (c, n) => dropped.push([c, n]) });
    expect(dropped.reduce((a, [, n]) => a + n, 0)).toBe(5);
    expect(new Set(dropped.map(([c]) => c))).toEqual(new Set(['u1']));
    const none: number[] = [];
    detectInOrder(flood, new InMemoryTimelineStore(), { onTruncated: (_c, n) => none.push(n) });
    expect(none).toEqual([]);
  });

  it('keeps exactly what the rule says, in order, for any timeline (fast-check against the rule written plainly)', () => {
    // The rule of the doc comment, written without the fast paths: filter, sort, the greatest of
    // each candidate group among those that ended by the earliest future start, everything after it.
    const byRule = (list: readonly TimelineEntry[], w: number, settings: DetectionSettings): TimelineEntry[] => {
      const minStart = earliestFutureStart(w, settings);
      const sorted = list.filter((e) => e.ended_at >= timelineCutoff(e.kind, w, settings)).sort(comparePriors);
      const dominant = new Map<string, TimelineEntry>();
      for (const e of sorted) if (e.ended_at <= minStart) dominant.set(settings.matchIntentFamily ? `${e.kind}:${e.family}` : e.kind, e);
      return [...dominant.values(), ...sorted.filter((e) => e.ended_at > minStart)].sort(comparePriors);
    };
    const w = T0 + 30 * DAY;
    const entry = fc.record({
      kind: fc.constantFrom('contact' as const, 'journey' as const),
      id: fc.integer({ min: 0, max: 40 }),
      family: fc.constantFrom('billing', 'tech', 'tariff'),
      endedBefore: fc.integer({ min: 0, max: 10 * DAY }),
      span: fc.constantFrom(0, MIN, HOUR),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), fc.boolean(), fc.boolean(), (drawn, match, shuffled) => {
        const settings = { ...DEFAULT_DETECTION, matchIntentFamily: match };
        const seen = new Set<string>();
        const list: TimelineEntry[] = [];
        for (const d of drawn) {
          if (seen.has(`${d.kind}${d.id}`)) continue;
          seen.add(`${d.kind}${d.id}`);
          const ended = w - d.endedBefore;
          list.push({ kind: d.kind, event_id: `e${d.id}`, id: `i${d.id}`, customer_id: 'c', provider_id: d.kind === 'contact' ? 'p' : null, channel: d.kind === 'contact' ? 'PHONE' : null, family: d.family, started_at: ended - d.span, ended_at: ended });
        }
        const input = shuffled ? [...list].reverse() : [...list].sort(comparePriors);
        expect(pruneTimeline(input, w, settings).entries).toEqual(byRule(input, w, settings));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('addToTimeline', () => {
  it('replaces an entry with the same event_id (a re-read adds nothing)', () => {
    const [e] = entries(contact());
    const once = addToTimeline([], e!);
    expect(addToTimeline(once, e!)).toEqual(once);
  });
});

describe('detectInOrder', () => {
  const run = (events: InputEvent[], settings: DetectionSettings = DEFAULT_DETECTION) =>
    detectInOrder([...events].sort(compareEventsByOrder), new InMemoryTimelineStore(), { settings });

  it('chains A → B → C: C’s prior is B, B’s prior is A', () => {
    const a = contact({ event_id: 'eA', contact_id: 'cA', provider_id: 'p1', started_at: T0 });
    const b = contact({ event_id: 'eB', contact_id: 'cB', provider_id: 'p2', started_at: T0 + HOUR });
    const c = contact({ event_id: 'eC', contact_id: 'cC', provider_id: 'p3', started_at: T0 + 2 * HOUR });
    const signals = run([c, a, b]);
    expect(signals.map((s) => [s.contact_event_id, s.prior_event_id, s.prior_provider_id])).toEqual([
      ['eB', 'eA', 'p1'],
      ['eC', 'eB', 'p2'],
    ]);
  });

  it('yields at most one signal per contact and none for abandoned contacts', () => {
    const j = journey({ event_id: 'w', started_at: T0 - 10 * MIN });
    const a = contact({ event_id: 'eA', contact_id: 'cA', started_at: T0 - HOUR });
    const ab = abandoned({ event_id: 'eX', contact_id: 'cX', started_at: T0 });
    const b = contact({ event_id: 'eB', contact_id: 'cB', started_at: T0 + MIN });
    const signals = run([j, a, ab, b]);
    expect(signals.map((s) => [s.contact_event_id, s.kind, s.prior_event_id])).toEqual([['eB', 'CHANNEL_SWITCH', 'w']]);
  });

  it('zero-duration contacts at the same instant are each other’s priors (priors are defined over the set)', () => {
    const x = contact({ event_id: 'x', contact_id: 'cx', started_at: T0, answered_at: T0, ended_at: T0 });
    const y = contact({ event_id: 'y', contact_id: 'cy', started_at: T0, answered_at: T0, ended_at: T0 });
    const signals = run([y, x]);
    expect(signals.map((s) => [s.contact_event_id, s.prior_event_id])).toEqual([
      ['x', 'y'],
      ['y', 'x'],
    ]);
  });

  it('a journey ending at the instant a zero-duration PHONE contact starts is its prior', () => {
    const j = journey({ event_id: 'w', started_at: T0, ended_at: T0 });
    const b = contact({ event_id: 'a', contact_id: 'ca', started_at: T0, answered_at: T0, ended_at: T0 });
    expect(run([j, b]).map((s) => s.prior_event_id)).toEqual(['w']);
  });

  it('reports changed timelines for write-back, pruned', () => {
    const store = new InMemoryTimelineStore([['u1', entries(contact({ event_id: 'ancient', contact_id: 'old', started_at: T0 - 30 * DAY }))]]);
    detectInOrder([contact()], store);
    const changed = store.takeChanged();
    expect([...changed.keys()]).toEqual(['u1']);
    expect(changed.get('u1')!.map((e) => e.event_id)).toEqual(['e1']);
    expect(store.takeChanged().size).toBe(0);
  });
});
