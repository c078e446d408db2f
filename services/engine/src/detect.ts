/**
 * Repeat-contact and channel-switch detection (docs/detection.md), as pure functions over a
 * per-customer timeline of entries that can still become a later contact's prior.
 */
import type { Channel, ContactEvent, JourneyOutcome, JourneySignal, WebJourneyEvent } from './events.generated.ts';
import { compareCodePoints } from './codepoint.ts';
import { family } from './intent.ts';
import type { InputEvent } from './validate.ts';
import { MAX_SPAN_MS } from './validate.ts';

export interface DetectionSettings {
  /** R: a repeat must start within R after its prior contact ended (inclusive). */
  repeatWindowMs: number;
  /** S: a switch must start within S after its prior journey ended (inclusive). */
  switchWindowMs: number;
  switchOutcomes: readonly JourneyOutcome[];
  switchToChannels: readonly Channel[];
  matchIntentFamily: boolean;
  /** L: how far behind the greatest event time seen an event may still arrive in order. */
  allowedLatenessMs: number;
}

export const DEFAULT_DETECTION: Readonly<DetectionSettings> = Object.freeze({
  repeatWindowMs: 7 * 24 * 60 * 60 * 1000,
  switchWindowMs: 24 * 60 * 60 * 1000,
  switchOutcomes: Object.freeze(['ABANDONED', 'FAILED'] as const),
  switchToChannels: Object.freeze(['PHONE'] as const),
  matchIntentFamily: true,
  allowedLatenessMs: 2 * 60 * 1000,
});

/** The contracts YAML's `detection` block as the config loader returns it (snake_case, ms). */
export interface DetectionConfigLike {
  repeat_window_ms: number;
  switch_window_ms: number;
  switch_outcomes: readonly JourneyOutcome[];
  switch_to_channels: readonly Channel[];
  match_intent_family: boolean;
  allowed_lateness_ms: number;
}

export function detectionSettingsOf(config: DetectionConfigLike): DetectionSettings {
  return {
    repeatWindowMs: config.repeat_window_ms,
    switchWindowMs: config.switch_window_ms,
    switchOutcomes: config.switch_outcomes,
    switchToChannels: config.switch_to_channels,
    matchIntentFamily: config.match_intent_family,
    allowedLatenessMs: config.allowed_lateness_ms,
  };
}

/** What a prior needs to be found and to fill a signal; small enough to keep in Redis. */
export interface TimelineEntry {
  kind: 'contact' | 'journey';
  event_id: string;
  /** contact_id, or the journey's session_id. */
  id: string;
  customer_id: string;
  /** null for journeys. */
  provider_id: string | null;
  /** null for journeys (they have no channel). */
  channel: Channel | null;
  family: string;
  started_at: number;
  ended_at: number;
}

/** The timeline entry of an event, or null when it can never be a prior. */
export function timelineEntryOf(event: InputEvent, settings: DetectionSettings = DEFAULT_DETECTION): TimelineEntry | null {
  if ('contact_id' in event) {
    if (event.answered_at === null) return null; // abandoned contacts are never priors
    return {
      kind: 'contact',
      event_id: event.event_id,
      id: event.contact_id,
      customer_id: event.customer_id,
      provider_id: event.provider_id,
      channel: event.channel,
      family: family(event.intent),
      started_at: event.started_at,
      ended_at: event.ended_at,
    };
  }
  if ('session_id' in event) {
    const j: WebJourneyEvent = event;
    if (j.customer_id === null || !settings.switchOutcomes.includes(j.outcome)) return null; // anonymous journeys never link
    return {
      kind: 'journey',
      event_id: j.event_id,
      id: j.session_id,
      customer_id: j.customer_id,
      provider_id: null,
      channel: null,
      family: family(j.journey),
      started_at: j.started_at,
      ended_at: j.ended_at,
    };
  }
  return null;
}

/**
 * The tie order among candidates (docs/detection.md, "Choosing the prior"): latest ended_at, then contact over journey, then later
 * started_at, then greater event_id in code-point order. Positive when `a` wins.
 */
export function comparePriors(a: TimelineEntry, b: TimelineEntry): number {
  return (
    a.ended_at - b.ended_at ||
    (a.kind === b.kind ? 0 : a.kind === 'contact' ? 1 : -1) ||
    a.started_at - b.started_at ||
    compareCodePoints(a.event_id, b.event_id)
  );
}

function isCandidate(contact: ContactEvent, contactFamily: string, entry: TimelineEntry, switchTarget: boolean, settings: DetectionSettings): boolean {
  if (entry.customer_id !== contact.customer_id) return false;
  if (settings.matchIntentFamily && entry.family !== contactFamily) return false;
  let windowMs: number;
  if (entry.kind === 'contact') {
    if (entry.event_id === contact.event_id || entry.id === contact.contact_id) return false; // A ≠ B
    windowMs = settings.repeatWindowMs;
  } else {
    if (!switchTarget) return false;
    windowMs = settings.switchWindowMs;
  }
  return entry.ended_at <= contact.started_at && contact.started_at <= entry.ended_at + windowMs;
}

/** B's prior among the entries (any order, B's own entry may be among them), or null. */
export function selectPrior(contact: ContactEvent, entries: readonly TimelineEntry[], settings: DetectionSettings = DEFAULT_DETECTION): TimelineEntry | null {
  if (contact.answered_at === null) return null; // abandoned contacts yield no signal
  const contactFamily = family(contact.intent);
  const switchTarget = settings.switchToChannels.includes(contact.channel);
  let best: TimelineEntry | null = null;
  for (const entry of entries) {
    if (!isCandidate(contact, contactFamily, entry, switchTarget, settings)) continue;
    if (best === null || comparePriors(entry, best) > 0) best = entry;
  }
  return best;
}

/** Deterministic from B's event_id alone, so a re-run or a re-read produces the same id. */
function signalIdOf(contactEventId: string): string {
  return `sig:${contactEventId}`;
}

/** What a signal needs of its prior: enough to rebuild the signal from the contact alone. */
export type PriorRef = Pick<TimelineEntry, 'kind' | 'event_id' | 'id' | 'provider_id' | 'ended_at'>;

/** The prior a signal names, so `signalFor(contact, priorOf(signal))` gives the signal back. */
export function priorOf(signal: JourneySignal): PriorRef {
  return {
    kind: signal.kind === 'REPEAT_CONTACT' ? 'contact' : 'journey',
    event_id: signal.prior_event_id,
    id: signal.prior_id,
    provider_id: signal.prior_provider_id,
    ended_at: signal.prior_ended_at,
  };
}

export function signalFor(contact: ContactEvent, prior: PriorRef): JourneySignal {
  return {
    signal_id: signalIdOf(contact.event_id),
    kind: prior.kind === 'contact' ? 'REPEAT_CONTACT' : 'CHANNEL_SWITCH',
    customer_id: contact.customer_id,
    contact_event_id: contact.event_id,
    contact_id: contact.contact_id,
    contact_provider_id: contact.provider_id,
    contact_channel: contact.channel,
    contact_ended_at: contact.ended_at,
    intent_family: family(contact.intent),
    prior_event_id: prior.event_id,
    prior_id: prior.id,
    prior_provider_id: prior.kind === 'contact' ? prior.provider_id : null,
    prior_ended_at: prior.ended_at,
    gap_ms: contact.started_at - prior.ended_at,
  };
}

/**
 * A hard safety bound on one customer's timeline, far above any real customer (a timeline keeps
 * one dominant entry per (kind, family) plus what ended within the last L + 24 h, see
 * `pruneTimeline`). Only a flood beyond it — a thousand answered contacts or failed journeys of one
 * customer inside one day — makes pruning drop entries a future contact could still choose; those
 * drops are counted (`cx_timeline_truncated_total`), never silent.
 */
export const DEFAULT_MAX_TIMELINE_ENTRIES = 1000;

/**
 * Earliest `started_at` of any contact still to come once events up to `watermarkMs` have been
 * processed in order: it ends at or after `watermarkMs − L` (the margin L covers events that are
 * late but within the allowed lateness) and starts at most 24 h (MAX_SPAN_MS; longer records are
 * rejected) before it ends.
 */
export function earliestFutureStart(watermarkMs: number, settings: DetectionSettings): number {
  return watermarkMs - settings.allowedLatenessMs - MAX_SPAN_MS;
}

/**
 * Earliest `ended_at` an entry may have and still be a prior of a contact still to come: that
 * contact starts at or after `earliestFutureStart` and looks back at most R (contacts) or S
 * (journeys) from its start.
 */
export function timelineCutoff(kind: TimelineEntry['kind'], watermarkMs: number, settings: DetectionSettings): number {
  const windowMs = kind === 'contact' ? settings.repeatWindowMs : settings.switchWindowMs;
  return earliestFutureStart(watermarkMs, settings) - windowMs;
}

export interface PrunedTimeline {
  /** Sorted ascending by `comparePriors`. */
  entries: TimelineEntry[];
  /** Entries a future contact could still have chosen, dropped only by the hard bound. */
  truncated: number;
}

/**
 * Keeps exactly the entries a contact still to come could choose as its prior (docs/detection.md,
 * "Bounded state"), sorted ascending by `comparePriors`:
 *
 * - every entry that ended after `earliestFutureStart`: a future contact may start just after it
 *   and before any later one, so each of them may be chosen, however many there are;
 * - of the entries that ended at or before it, only the greatest by `comparePriors` of each
 *   candidate group — (kind, family), or kind alone when families are not matched — and only while
 *   it is inside its window. Every future contact B starts after all of them ended, so each is a
 *   candidate of B exactly when it is inside B's window; the greatest of a group ended last, so it is
 *   inside whenever an older one is, and it wins the tie order. B itself (A ≠ B) is never
 *   among them: B ends after `watermarkMs − L`, later than all of them.
 *
 * Beyond `maxEntries` (a safety bound, see DEFAULT_MAX_TIMELINE_ENTRIES) the oldest entries are
 * dropped and counted in `truncated`.
 */
export function pruneTimeline(
  entries: readonly TimelineEntry[],
  watermarkMs: number,
  settings: DetectionSettings = DEFAULT_DETECTION,
  maxEntries: number = DEFAULT_MAX_TIMELINE_ENTRIES,
): PrunedTimeline {
  const minStart = earliestFutureStart(watermarkMs, settings);
  const contactCutoff = timelineCutoff('contact', watermarkMs, settings);
  const journeyCutoff = timelineCutoff('journey', watermarkMs, settings);
  // Timelines arrive sorted but for the entry just added: sort only when the order is broken, and
  // copy only when an entry goes (most calls keep every entry: this runs once per event).
  let sorted = entries as TimelineEntry[];
  let inOrder = true;
  let last: TimelineEntry | undefined;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const expired = e.ended_at < (e.kind === 'contact' ? contactCutoff : journeyCutoff);
    if (expired && sorted === entries) sorted = entries.slice(0, i);
    if (expired) continue;
    if (inOrder && last !== undefined && comparePriors(last, e) > 0) inOrder = false;
    last = e;
    if (sorted !== entries) sorted.push(e);
  }
  if (!inOrder) sorted = (sorted === entries ? [...entries] : sorted).sort(comparePriors);
  // Sorted by ended_at first, so the entries that ended at or before minStart are a prefix; of those
  // only the last of each candidate group stays, and they stay in order ahead of the rest.
  let prefix = 0;
  while (prefix < sorted.length && sorted[prefix]!.ended_at <= minStart) prefix++;
  let all: TimelineEntry[] = sorted;
  if (prefix > 1) {
    const seen = new Set<string>();
    const dominant: TimelineEntry[] = [];
    for (let i = prefix - 1; i >= 0; i--) {
      const e = sorted[i]!;
      const group = settings.matchIntentFamily ? `${e.kind}:${e.family}` : e.kind;
      if (seen.has(group)) continue;
      seen.add(group);
      dominant.push(e);
    }
    if (dominant.length < prefix) all = [...dominant.reverse(), ...sorted.slice(prefix)];
  }
  const truncated = Math.max(0, all.length - maxEntries);
  return { entries: truncated === 0 ? all : all.slice(truncated), truncated };
}

/** Adds an entry, replacing one with the same event_id (a re-read after a crash adds nothing). */
export function addToTimeline(entries: readonly TimelineEntry[], entry: TimelineEntry): TimelineEntry[] {
  return addToTimelineInPlace(entries.slice(), entry);
}

/** `addToTimeline` on an array the caller owns. */
export function addToTimelineInPlace(entries: TimelineEntry[], entry: TimelineEntry): TimelineEntry[] {
  const again = entries.findIndex((e) => e.event_id === entry.event_id && e.kind === entry.kind);
  if (again >= 0) entries.splice(again, 1);
  entries.push(entry);
  return entries;
}
