/**
 * Runs detection over events already in processing order (a reorder buffer's release, or replay's
 * sorted input), against a synchronous timeline store: in memory for replay, or a batch's
 * timelines prefetched from Redis and written back from `changedCustomers()` by the detector.
 */
import type { ContactEvent, JourneySignal } from './events.generated.ts';
import {
  DEFAULT_DETECTION,
  DEFAULT_MAX_TIMELINE_ENTRIES,
  addToTimeline,
  addToTimelineInPlace,
  pruneTimeline,
  selectPrior,
  signalFor,
  timelineEntryOf,
  type DetectionSettings,
  type TimelineEntry,
} from './detect.ts';
import { eventTimeOf } from './order.ts';
import type { InputEvent } from './validate.ts';

export interface TimelineStore {
  get(customerId: string): readonly TimelineEntry[];
  set(customerId: string, entries: readonly TimelineEntry[]): void;
}

export class InMemoryTimelineStore implements TimelineStore {
  private readonly timelines = new Map<string, readonly TimelineEntry[]>();
  private readonly changed = new Set<string>();

  /** `initial`: e.g. timelines prefetched from Redis for a batch's customers. */
  constructor(initial?: Iterable<[string, readonly TimelineEntry[]]>) {
    for (const [customer, entries] of initial ?? []) this.timelines.set(customer, entries);
  }

  get(customerId: string): readonly TimelineEntry[] {
    return this.timelines.get(customerId) ?? [];
  }

  set(customerId: string, entries: readonly TimelineEntry[]): void {
    this.timelines.set(customerId, entries);
    this.changed.add(customerId);
  }

  /** Customers whose timeline was set since construction or the last `takeChanged()`. */
  takeChanged(): Map<string, readonly TimelineEntry[]> {
    const out = new Map<string, readonly TimelineEntry[]>();
    for (const customer of this.changed) out.set(customer, this.get(customer));
    this.changed.clear();
    return out;
  }
}

export interface DetectOptions {
  settings?: DetectionSettings;
  /** Safety bound per customer timeline, see `pruneTimeline`. */
  maxTimelineEntries?: number;
  /** Told when the safety bound dropped entries a future contact could still choose. */
  onTruncated?(customerId: string, dropped: number): void;
}

/**
 * Detection for `events` in (event time, started_at, event_id) order. Events of one event time
 * are handled as a group: all their entries join the timelines before any of their contacts
 * looks for a prior, because zero-duration records at the same instant are each other's
 * candidates (A.ended_at ≤ B.started_at holds both ways) and docs/detection.md defines priors over the
 * set of events, not over the processing order. A group is never split across releases of a
 * reorder buffer, so grouping within one call suffices.
 */
export function detectInOrder(events: readonly InputEvent[], store: TimelineStore, options: DetectOptions = {}): JourneySignal[] {
  const settings = options.settings ?? DEFAULT_DETECTION;
  const maxEntries = options.maxTimelineEntries ?? DEFAULT_MAX_TIMELINE_ENTRIES;
  const signals: JourneySignal[] = [];
  const grown = new Map<string, TimelineEntry[]>();
  let i = 0;
  while (i < events.length) {
    const t = eventTimeOf(events[i]!);
    let j = i;
    while (j < events.length && eventTimeOf(events[j]!) === t) j++;
    const start = i;
    i = j;

    grown.clear();
    for (let k = start; k < j; k++) {
      const event = events[k]!;
      const entry = timelineEntryOf(event, settings);
      if (entry === null) continue;
      const own = grown.get(entry.customer_id);
      // The first entry of a group copies the stored timeline; later ones of the group extend that copy.
      if (own === undefined) grown.set(entry.customer_id, addToTimeline(store.get(entry.customer_id), entry));
      else addToTimelineInPlace(own, entry);
    }
    // Pruning at the group's event time keeps every entry a contact of this group or a later one can
    // choose (see pruneTimeline).
    for (const [customer, entries] of grown) {
      const pruned = pruneTimeline(entries, t, settings, maxEntries);
      if (pruned.truncated > 0) options.onTruncated?.(customer, pruned.truncated);
      store.set(customer, pruned.entries);
    }

    for (let k = start; k < j; k++) {
      const event = events[k]!;
      if (!('contact_id' in event)) continue;
      const contact: ContactEvent = event;
      const prior = selectPrior(contact, store.get(contact.customer_id), settings);
      if (prior !== null) signals.push(signalFor(contact, prior));
    }
  }
  return signals;
}
