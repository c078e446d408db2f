/**
 * docs/detection.md, "Order independence and lateness": any arrival order in which no event arrives more than L
 * behind the greatest event time already seen on its partition yields the signals of `replay`,
 * and `replay` yields the signals of the documented definition (checked by a brute-force reference).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DETECTION,
  InMemoryDedupeStore,
  InMemoryTimelineStore,
  ReorderBuffer,
  TOPICS,
  compareSignals,
  detectInOrder,
  eventTimeOf,
  judge,
  orderKeyOf,
  replay,
  validateEvent,
  type Channel,
  type ContactEvent,
  type DetectionSettings,
  type InputEvent,
  type InputTopic,
  type JourneyOutcome,
  type JourneySignal,
  type ReplayRecord,
  type WebJourneyEvent,
} from '../src/index.ts';
import { DAY, HOUR, MIN, NOW, T0 } from './fixtures.ts';

const CUSTOMERS = ['u1', 'u2', 'u3'];
const FAMILIES = ['billing', 'tariff', 'device'];
const CHANNELS: Channel[] = ['PHONE', 'CHAT', 'EMAIL', 'MESSAGING'];
const JOURNEY_OUTCOMES: JourneyOutcome[] = ['COMPLETED', 'ABANDONED', 'FAILED'];
const PARTITIONS = 2;
const IDLE_GRACE_MS = 1_000;

interface Spec {
  kind: 'contact' | 'journey' | 'customer';
  customer: number;
  family: number;
  channel: number;
  answered: boolean;
  outcome: number;
  anonymous: boolean;
  /** Index (mod the events so far) of the event whose end anchors this one's start; -1 = base time. */
  anchor: number;
  gap: number;
  duration: number;
  id: string;
}

/** Gaps chosen to hit the window boundaries exactly, relative to settings R and S. */
function gapOf(choice: number, random: number, s: DetectionSettings): number {
  const table = [0, 0, 1, -1, s.repeatWindowMs, s.repeatWindowMs + 1, s.switchWindowMs, s.switchWindowMs + 1, random, random * 100];
  return table[choice % table.length]!;
}

const DURATIONS = [0, 0, 1, MIN, 10 * MIN, DAY];

function build(specs: Array<Spec & { gapChoice: number; durationChoice: number; random: number }>, s: DetectionSettings): Array<{ topic: InputTopic; event: InputEvent }> {
  const out: Array<{ topic: InputTopic; event: InputEvent }> = [];
  specs.forEach((spec, i) => {
    const anchor = spec.anchor < 0 || out.length === 0 ? undefined : out[spec.anchor % out.length]!.event;
    const anchorEnd = anchor === undefined ? T0 : eventTimeOf(anchor);
    const startedAt = Math.max(T0 - 30 * DAY, anchorEnd + gapOf(spec.gapChoice, spec.random, s));
    const endedAt = startedAt + DURATIONS[spec.durationChoice % DURATIONS.length]!;
    const customer = CUSTOMERS[spec.customer % CUSTOMERS.length]!;
    const fam = FAMILIES[spec.family % FAMILIES.length]!;
    const eventId = `${spec.id}#${i}`; // unique: no prefix contains #
    if (spec.kind === 'contact') {
      const event: ContactEvent = {
        event_id: eventId,
        contact_id: `c${i}`,
        customer_id: customer,
        provider_id: `prov-${i % 3}`,
        agent_id: null,
        channel: CHANNELS[spec.channel % CHANNELS.length]!,
        queue: 'q',
        intent: `${fam}.x${spec.outcome % 2}`,
        started_at: startedAt,
        answered_at: spec.answered ? startedAt + Math.floor((endedAt - startedAt) / 2) : null,
        ended_at: endedAt,
        outcome: spec.answered ? (['RESOLVED', 'UNRESOLVED', 'TRANSFERRED'] as const)[spec.outcome % 3]! : 'ABANDONED',
        csat: null,
        sale_cents: 0,
      };
      out.push({ topic: TOPICS.contacts, event });
    } else if (spec.kind === 'journey') {
      const event: WebJourneyEvent = {
        event_id: eventId,
        session_id: `s${i}`,
        customer_id: spec.anonymous ? null : customer,
        journey: `${fam}.web`,
        started_at: startedAt,
        ended_at: endedAt,
        outcome: JOURNEY_OUTCOMES[spec.outcome % JOURNEY_OUTCOMES.length]!,
        last_step: 'step',
        error_code: null,
      };
      out.push({ topic: TOPICS.web, event });
    } else {
      out.push({
        topic: TOPICS.customers,
        event: { event_id: eventId, customer_id: customer, provider_id: 'prov-0', type: spec.answered ? 'ACTIVATED' : 'DEACTIVATED', occurred_at: startedAt, won_by_provider: false },
      });
    }
  });
  return out;
}

const specArb = fc.record({
  kind: fc.constantFrom<Spec['kind']>('contact', 'contact', 'contact', 'journey', 'journey', 'customer'),
  customer: fc.nat(),
  family: fc.nat(),
  channel: fc.nat(),
  answered: fc.boolean(),
  outcome: fc.nat(),
  anonymous: fc.boolean(),
  anchor: fc.integer({ min: -1, max: 60 }),
  gap: fc.constant(0),
  duration: fc.constant(0),
  id: fc.constantFrom('e', 'E', 'e1', 'é', '\u{1F600}', ''),
  gapChoice: fc.nat(),
  durationChoice: fc.nat(),
  random: fc.integer({ min: 0, max: 3 * HOUR }),
});

const settingsArb: fc.Arbitrary<DetectionSettings> = fc.record({
  repeatWindowMs: fc.constantFrom(DEFAULT_DETECTION.repeatWindowMs, HOUR, 10 * MIN),
  switchWindowMs: fc.constantFrom(DEFAULT_DETECTION.switchWindowMs, 30 * MIN, HOUR),
  switchOutcomes: fc.constantFrom<JourneyOutcome[]>(['ABANDONED', 'FAILED'], ['FAILED'], ['COMPLETED', 'FAILED']),
  switchToChannels: fc.constantFrom<Channel[]>(['PHONE'], ['PHONE', 'CHAT'], []),
  matchIntentFamily: fc.boolean(),
  allowedLatenessMs: fc.constantFrom(DEFAULT_DETECTION.allowedLatenessMs, 0, 10_000, HOUR),
});

/** The definition of docs/detection.md, computed directly over the whole set (no timeline, no pruning). */
function referenceSignals(events: readonly InputEvent[], s: DetectionSettings): string[] {
  const cp = (a: string, b: string) => {
    const x = Array.from(a, (ch) => ch.codePointAt(0)!);
    const y = Array.from(b, (ch) => ch.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  };
  const fam = (code: string) => code.split('.')[0]!;
  const out: string[] = [];
  for (const b of events) {
    if (!('contact_id' in b) || b.answered_at === null) continue;
    let best: { e: InputEvent; kind: number } | null = null;
    for (const a of events) {
      let ok = false;
      let kind = 0;
      if ('contact_id' in a) {
        ok = a !== b && a.contact_id !== b.contact_id && a.customer_id === b.customer_id && a.answered_at !== null;
        ok &&= a.ended_at <= b.started_at && b.started_at <= a.ended_at + s.repeatWindowMs;
        ok &&= !s.matchIntentFamily || fam(a.intent) === fam(b.intent);
        kind = 1;
      } else if ('session_id' in a) {
        ok = s.switchToChannels.includes(b.channel) && a.customer_id === b.customer_id && s.switchOutcomes.includes(a.outcome);
        ok &&= a.ended_at <= b.started_at && b.started_at <= a.ended_at + s.switchWindowMs;
        ok &&= !s.matchIntentFamily || fam(a.journey) === fam(b.intent);
      }
      if (!ok) continue;
      const ae = a as ContactEvent | WebJourneyEvent;
      if (best === null) {
        best = { e: a, kind };
        continue;
      }
      const be = best.e as ContactEvent | WebJourneyEvent;
      const c = ae.ended_at - be.ended_at || kind - best.kind || ae.started_at - be.started_at || cp(ae.event_id, be.event_id);
      if (c > 0) best = { e: a, kind };
    }
    if (best !== null) out.push(`${b.event_id}<-${best.e.event_id}:${b.started_at - eventTimeOf(best.e)}`);
  }
  return out.sort();
}

interface Arrival {
  topic: InputTopic;
  event: InputEvent;
  wall: number;
  partition: number;
}

function partitionOf(event: InputEvent): number {
  const key = event.customer_id ?? (event as WebJourneyEvent).session_id;
  let h = 0;
  for (const ch of key) h = (h * 31 + ch.codePointAt(0)!) | 0;
  return Math.abs(h) % PARTITIONS;
}

/**
 * A tiny detector: validate → judge duplicates in arrival order → reorder buffer → detect. The
 * source declares a partition idle the way the Kafka runner does: at a tick, once its consumer
 * position has not moved (here: nothing arrived on it) for L + the idle grace of wall clock.
 */
function stream(arrivals: readonly Arrival[], ticks: readonly number[], s: DetectionSettings): { signals: JourneySignal[]; late: number } {
  const dedupe = new InMemoryDedupeStore();
  const timelines = new InMemoryTimelineStore();
  const buffers = Array.from({ length: PARTITIONS }, () => new ReorderBuffer<InputEvent>({ allowedLatenessMs: s.allowedLatenessMs, key: orderKeyOf }));
  const lastArrival = new Array<number>(PARTITIONS).fill(-Infinity);
  const signals: JourneySignal[] = [];
  const apply = (released: Array<{ item: InputEvent }>) => signals.push(...detectInOrder(released.map((r) => r.item), timelines, { settings: s }));
  let tick = 0;
  for (const { topic, event, wall, partition } of arrivals) {
    // The worker's tick fires between batches, never ahead of the next arrival's wall clock.
    while (tick < ticks.length && ticks[tick]! <= wall) {
      buffers.forEach((b, p) => {
        if (ticks[tick]! - lastArrival[p]! >= s.allowedLatenessMs + IDLE_GRACE_MS) apply(b.flush());
      });
      tick++;
    }
    lastArrival[partition] = wall;
    const verdict = judge(topic, validateEvent(topic, event, NOW), dedupe);
    if (verdict.result !== 'accepted') continue;
    dedupe.remember(topic, verdict.event);
    apply(buffers[partition]!.push(verdict.event));
  }
  for (const b of buffers) apply(b.flush());
  return { signals: signals.sort(compareSignals), late: buffers.reduce((n, b) => n + b.lateCount, 0) };
}

const scenarioArb = fc
  .tuple(settingsArb, fc.array(specArb, { minLength: 1, maxLength: 45 }))
  .chain(([settings, specs]) => {
    const events = build(specs, settings);
    const n = events.length;
    return fc.record({
      settings: fc.constant(settings),
      events: fc.constant(events),
      // Exact duplicates (same content) may be redelivered; they must change nothing.
      dupes: fc.array(fc.nat({ max: n - 1 }), { maxLength: 5 }),
      // Arrival = event time + a delay in [0, L]: never more than L behind anything seen before.
      delays: fc.array(fc.oneof(fc.constant(0), fc.constant(settings.allowedLatenessMs), fc.nat({ max: settings.allowedLatenessMs })), {
        minLength: n + 5,
        maxLength: n + 5,
      }),
      tieBreak: fc.array(fc.nat(), { minLength: n + 5, maxLength: n + 5 }),
      ticks: fc.array(fc.integer({ min: T0 - 31 * DAY, max: T0 + 60 * DAY }), { maxLength: 20 }),
    });
  });

describe('order independence', () => {
  it('any arrival order within the allowed lateness gives the replay signals, and replay gives the documented definition', () => {
    fc.assert(
      fc.property(scenarioArb, ({ settings, events, dupes, delays, tieBreak, ticks }) => {
        const records = [...events, ...dupes.map((i) => events[i]!)];
        const arrivals: Arrival[] = records
          .map(({ topic, event }, i) => ({ topic, event, wall: eventTimeOf(event) + delays[i]!, partition: partitionOf(event), tb: tieBreak[i]! }))
          .sort((a, b) => a.wall - b.wall || a.tb - b.tb);

        const replayInput: ReplayRecord[] = records.map(({ topic, event }, i) => ({ line: i + 1, topic, value: event }));
        const expected = replay(replayInput, { nowMs: NOW, settings });
        expect(expected.rejected).toEqual([]);
        expect(expected.duplicates).toBe(dupes.length);

        const got = stream(arrivals, [...ticks].sort((a, b) => a - b), settings);
        expect(got.late).toBe(0);
        expect(got.signals).toEqual(expected.signals);

        // Replay itself does not depend on input order (events here have no conflicting duplicates).
        const reversed = replay([...replayInput].reverse(), { nowMs: NOW, settings });
        expect(reversed.signals).toEqual(expected.signals);

        const unique = events.map((e) => e.event);
        expect(expected.signals.map((s) => `${s.contact_event_id}<-${s.prior_event_id}:${s.gap_ms}`).sort()).toEqual(referenceSignals(unique, settings));
      }),
      { numRuns: 300 },
    );
  });

  it('the harness notices an arrival more than L late (the property is not vacuous)', () => {
    const s = DEFAULT_DETECTION;
    const a: ContactEvent = {
      event_id: 'a',
      contact_id: 'ca',
      customer_id: 'u1',
      provider_id: 'p',
      agent_id: null,
      channel: 'PHONE',
      queue: 'q',
      intent: 'billing.x',
      started_at: T0,
      answered_at: T0,
      ended_at: T0 + MIN,
      outcome: 'RESOLVED',
      csat: null,
      sale_cents: 0,
    };
    const b: ContactEvent = { ...a, event_id: 'b', contact_id: 'cb', started_at: T0 + 2 * MIN, answered_at: T0 + 2 * MIN, ended_at: T0 + 3 * MIN };
    const c: ContactEvent = { ...a, event_id: 'c', contact_id: 'cc', started_at: T0 + HOUR, answered_at: T0 + HOUR, ended_at: T0 + HOUR };
    // a arrives after c, far more than L behind: b loses its prior.
    const arrivals: Arrival[] = [b, c, a].map((event, i) => ({ topic: TOPICS.contacts, event, wall: T0 + HOUR + i, partition: 0 }));
    const got = stream(arrivals, [], s);
    expect(got.late).toBe(1);
    expect(got.signals.map((x) => x.contact_event_id)).not.toEqual(replay(arrivals.map((x, i) => ({ line: i + 1, topic: x.topic, value: x.event })), { nowMs: NOW, settings: s }).signals.map((x) => x.contact_event_id));
  });
});

/**
 * docs/detection.md, "Bounded state": floods of one customer's contacts and failed
 * journeys, packed into hours, with windows and lateness small enough that pruning drops most of
 * the timeline. The detector's pruned timelines must give exactly the brute-force signals.
 */
describe('bounded state', () => {
  const floodArb = fc.record({
    settings: settingsArb,
    events: fc.array(
      fc.record({
        journey: fc.boolean(),
        family: fc.nat({ max: 1 }),
        channel: fc.nat(),
        answered: fc.nat({ max: 9 }),
        start: fc.integer({ min: 0, max: 36 * HOUR }),
        duration: fc.constantFrom(0, 1, MIN, 30 * MIN, 23 * HOUR, DAY),
        outcome: fc.nat(),
      }),
      { minLength: 20, maxLength: 250 },
    ),
  });

  it('pruned timelines give the same signals as the whole history (property, floods)', () => {
    let prunedSomewhere = 0;
    fc.assert(
      fc.property(floodArb, ({ settings, events }) => {
        const records: ReplayRecord[] = events.map((e, i) => {
          const started_at = T0 + e.start;
          const ended_at = started_at + e.duration;
          const fam = FAMILIES[e.family]!;
          const value: InputEvent = e.journey
            ? { event_id: `w${i}`, session_id: `s${i}`, customer_id: 'u1', journey: `${fam}.web`, started_at, ended_at, outcome: JOURNEY_OUTCOMES[e.outcome % 3]!, last_step: 'x', error_code: null }
            : {
                event_id: `e${i}`, contact_id: `c${i}`, customer_id: 'u1', provider_id: `prov-${i % 2}`, agent_id: null, channel: CHANNELS[e.channel % 4]!, queue: 'q',
                intent: `${fam}.x`, started_at, answered_at: e.answered === 0 ? null : started_at, ended_at, outcome: e.answered === 0 ? 'ABANDONED' : 'RESOLVED', csat: null, sale_cents: 0,
              };
          return { line: i + 1, topic: e.journey ? TOPICS.web : TOPICS.contacts, value };
        });
        const result = replay(records, { nowMs: NOW, settings });
        expect(result.rejected).toEqual([]);
        expect(result.timelineTruncated).toBe(0);
        const got = result.signals.map((x) => `${x.contact_event_id}<-${x.prior_event_id}:${x.gap_ms}`).sort();
        expect(got).toEqual(referenceSignals(result.accepted, settings));
        // Not vacuous: the timeline really was pruned below the whole history.
        const timelines = new InMemoryTimelineStore();
        detectInOrder(result.accepted, timelines, { settings });
        const candidates = result.accepted.filter((x) => ('contact_id' in x ? x.answered_at !== null : settings.switchOutcomes.includes((x as WebJourneyEvent).outcome)));
        if (timelines.get('u1').length < candidates.length) prunedSomewhere++;
      }),
      { numRuns: 200 },
    );
    expect(prunedSomewhere).toBeGreaterThan(50);
  });
});

