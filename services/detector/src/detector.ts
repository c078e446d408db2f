import {
  InMemoryTimelineStore,
  ReorderBuffer,
  TOPICS,
  detectInOrder,
  eventTimeOf,
  judgeBatch,
  orderKeyOf,
  priorOf,
  signalFor,
  validateEvent,
  type ContactEvent,
  type DetectionSettings,
  type InputTopic,
  type JourneySignal,
  type PriorRef,
  type Released,
  type TimelineEntry,
  type WebJourneyEvent,
} from '@cxg/engine';
import type { BatchContext, BatchHandler, Consumed, TopicPartition, TopicPartitionOffset } from '@cxg/platform';
import { decodeTimeline, encodeTimeline } from './entry-codec.ts';
import type { MarkedKind } from './marker-codec.ts';
import type { DetectorMetrics } from './metrics.ts';

type DetectorEvent = ContactEvent | WebJourneyEvent;

interface Item {
  event: DetectorEvent;
  customer: string;
  topic: InputTopic;
  offset: string;
}

/** A customer's timeline as cached while it has buffered events; contacts remember the prior they found. */
interface CachedTimeline {
  entries: readonly TimelineEntry[];
  priors: Map<string, PriorRef | null>;
  buffered: number;
}

/** The ids of one record the store is asked about. */
export interface MarkerQuery {
  customer: string;
  kind: MarkedKind;
  eventId: string;
  /** A contact's contact_id; null for a journey. */
  contactId: string | null;
}

/** What the store remembers of one record's ids: where its event_id was accepted, whether its contact_id is another's. */
export interface Markers {
  /** `<partition>:<offset>` of the accepted delivery with this event_id, or null. */
  acceptedAt: string | null;
  /** Its contact_id was accepted under another event_id. */
  contactIdTaken: boolean;
}

/** An accepted record, for the store to remember its ids (marker-codec.ts). */
export interface MarkerWrite extends MarkerQuery {
  /** `<partition>:<offset>` it was accepted at. */
  position: string;
}

/** What the handler needs of its state (the worker's is `RedisDetectorStore`): a batch reads once and writes once. */
export interface DetectorStore {
  /** Markers for each query, in order, and the stored timeline (`encodeTimeline`, null: none) of each customer asked. */
  read(queries: readonly MarkerQuery[], customers: readonly string[]): Promise<{ markers: Markers[]; timelines: Map<string, Buffer | null> }>;
  /** Adds the markers and replaces each given customer's whole timeline (null: an empty one, which goes away). */
  write(markers: readonly MarkerWrite[], timelines: ReadonlyMap<string, Buffer | null>): Promise<void>;
}

export interface DetectorDeps {
  store: DetectorStore;
  /** Produces signals to cx.signals.v1 (acks=all) before offsets are committed. */
  emit(signals: readonly JourneySignal[]): Promise<void>;
  metrics: DetectorMetrics;
  settings: DetectionSettings;
  /** Safety bound per customer timeline (see the engine's `pruneTimeline`). */
  maxTimelineEntries: number;
  now(): number;
}

export const DETECTOR_TOPICS = [TOPICS.contacts, TOPICS.web] as const;

/**
 * The detector's batch logic (docs/detection.md): judge duplicates against Redis markers, hold events
 * in a per-partition reorder buffer, detect over released events in order, then write Redis, emit
 * signals, and let the runner commit no further than the smallest buffered offset.
 *
 * Exactly-once effect: duplicate markers remember the position (`partition:offset`) that was
 * accepted, so a re-read after a crash is told apart from a real duplicate and processed again;
 * a contact's timeline entry stores the prior it found, so a re-processed contact re-emits the very
 * same signal instead of recomputing it against a timeline that moved on.
 */
export class DetectorHandler implements BatchHandler {
  private readonly buffers = new Map<number, ReorderBuffer<Item>>();
  private readonly cache = new Map<string, CachedTimeline>();
  /** Next offset after the last record received, per `topic:partition`. */
  private readonly received = new Map<string, string>();
  /** Per partition being rebuilt: records before these offsets rebuild Redis and emit nothing. */
  private readonly replayUntil = new Map<number, ReadonlyMap<string, bigint>>();

  constructor(private readonly deps: DetectorDeps) {}

  private buffer(partition: number): ReorderBuffer<Item> {
    let b = this.buffers.get(partition);
    if (!b) {
      b = new ReorderBuffer<Item>({
        allowedLatenessMs: this.deps.settings.allowedLatenessMs,
        key: (item) => orderKeyOf(item.event),
        position: (item) => ({ stream: item.topic, offset: item.offset }),
        streams: DETECTOR_TOPICS,
      });
      this.buffers.set(partition, b);
    }
    return b;
  }

  onAssign(): void {
    // kafkajs resumes every assigned partition from its committed offset after a rebalance, and
    // nothing buffered was committed: dropping all in-memory state re-reads exactly that.
    this.buffers.clear();
    this.cache.clear();
    this.received.clear();
    this.replayUntil.clear();
  }

  onRebuild(partition: number, until: ReadonlyMap<string, bigint>): void {
    this.replayUntil.set(partition, until);
  }

  /** A record a rebuild re-reads: it was processed (and its signal sent) before Redis lost it. */
  private replayed(partition: number, topic: string, offset: string): boolean {
    const until = this.replayUntil.get(partition)?.get(topic);
    return until !== undefined && BigInt(offset) < until;
  }

  async onBatch(records: Consumed[], ctx: BatchContext): Promise<TopicPartitionOffset[]> {
    const { store, metrics } = this.deps;
    const now = this.deps.now();
    const topic = ctx.topic as InputTopic;
    const judged = records.map((r) => ({ r, v: validateEvent(topic, r.value, now) }));

    const queries: MarkerQuery[] = [];
    const queryOf = new Map<Consumed, number>();
    const toLoad = new Set<string>();
    for (const { r, v } of judged) {
      const event = (v.ok ? v.event : v.event) as DetectorEvent | undefined;
      const customer = event?.customer_id;
      if (event === undefined || customer == null) continue;
      queryOf.set(r, queries.length);
      queries.push({ customer, kind: 'contact_id' in event ? 'contact' : 'journey', eventId: event.event_id, contactId: 'contact_id' in event ? event.contact_id : null });
      if (v.ok && !this.cache.has(customer)) toLoad.add(customer);
    }
    const { markers, timelines } = await store.read(queries, [...toLoad]);

    const position = (r: Consumed) => `${r.partition}:${r.offset}`;
    const verdicts = judgeBatch(
      judged.map(({ r, v }) => {
        const q = queryOf.get(r);
        const m = q === undefined ? undefined : markers[q];
        // A marker at this very position is this delivery's own, from before a crash: not a duplicate.
        return { topic, validation: v, stored: m && { accepted: m.acceptedAt != null && m.acceptedAt !== position(r), contactIdTaken: m.contactIdTaken } };
      }),
    );
    const markerWrites: MarkerWrite[] = [];
    const released: Released<Item>[] = [];
    const buffer = this.buffer(ctx.partition);
    for (const [i, { r }] of judged.entries()) {
      const verdict = verdicts[i]!;
      if (verdict.result === 'rejected') {
        ctx.reject(r, verdict.reason, verdict.message);
        continue;
      }
      if (!this.replayed(ctx.partition, topic, r.offset)) metrics.events.inc({ topic, result: verdict.result });
      if (verdict.result === 'duplicate') continue;
      const event = verdict.event as DetectorEvent;
      if (event.customer_id === null) continue; // anonymous journeys never link: no detector effect
      const customer = event.customer_id;
      markerWrites.push({
        customer,
        kind: 'contact_id' in event ? 'contact' : 'journey',
        eventId: event.event_id,
        contactId: 'contact_id' in event ? event.contact_id : null,
        position: position(r),
      });
      this.retain(customer, timelines.get(customer));
      released.push(...buffer.push({ event, customer, topic, offset: r.offset }));
    }
    this.received.set(`${topic}:${ctx.partition}`, ctx.nextOffset);
    await this.apply(ctx.partition, released, markerWrites);
    return this.safeOffsets(ctx.partition);
  }

  /** Releases what the idle partitions' topics (the runner's verdict: at the log end) no longer hold back. */
  async onTick(_nowMs: number, idle: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const commits: TopicPartitionOffset[] = [];
    for (const [partition, buffer] of this.buffers) {
      const released = buffer.setIdle(idle.filter((tp) => tp.partition === partition).map((tp) => tp.topic));
      if (released.length === 0) continue;
      await this.apply(partition, released, []);
      commits.push(...this.safeOffsets(partition));
    }
    return commits;
  }

  private retain(customer: string, loaded: Buffer | null | undefined): void {
    let cached = this.cache.get(customer);
    if (!cached) {
      const { entries, priors } = decodeTimeline(customer, loaded ?? null);
      cached = { entries, priors, buffered: 0 };
      this.cache.set(customer, cached);
    }
    cached.buffered++;
  }

  /** Detects over released events (in order), writes Redis and emits the signals (but those of replayed contacts). */
  private async apply(partition: number, released: Released<Item>[], markerWrites: MarkerWrite[]): Promise<void> {
    const { metrics, settings, maxTimelineEntries } = this.deps;
    const now = this.deps.now();
    const signals: JourneySignal[] = [];
    const fresh: DetectorEvent[] = [];
    const replayed = new Set<string>();
    for (const { item, late } of released) {
      const stored = 'contact_id' in item.event ? this.cache.get(item.customer)!.priors.get(item.event.event_id) : undefined;
      if (this.replayed(partition, item.topic, item.offset)) {
        // Into the timeline again (unless an earlier pass of this rebuild put it there); no signal.
        if (stored === undefined) fresh.push(item.event);
        replayed.add(item.event.event_id);
        continue;
      }
      if (late) metrics.lateEvents.inc({ topic: item.topic });
      metrics.processingLagSeconds.observe(Math.max(0, (now - eventTimeOf(item.event)) / 1000));
      if (stored === undefined) fresh.push(item.event);
      // processed before a crash: re-emit, do not recompute
      else if (stored !== null) signals.push(signalFor(item.event as ContactEvent, stored));
    }
    const customers = new Set(released.map((r) => r.item.customer));
    const timelines = new InMemoryTimelineStore([...customers].map((c) => [c, this.cache.get(c)!.entries]));
    const detected = detectInOrder(fresh, timelines, {
      settings,
      maxTimelineEntries,
      onTruncated: (_customer, dropped) => metrics.timelineTruncated.inc(dropped),
    });
    const byContact = new Map(detected.map((s) => [s.contact_event_id, s]));
    for (const e of fresh) {
      if ('contact_id' in e && e.answered_at !== null) {
        const signal = byContact.get(e.event_id);
        this.cache.get(e.customer_id)!.priors.set(e.event_id, signal === undefined ? null : priorOf(signal));
      }
    }
    signals.push(...detected.filter((s) => !replayed.has(s.contact_event_id)));

    const writes = new Map<string, Buffer | null>();
    for (const [customer, entries] of timelines.takeChanged()) {
      const cached = this.cache.get(customer)!;
      cached.entries = entries;
      const live = new Set(entries.map((e) => e.event_id));
      for (const id of cached.priors.keys()) if (!live.has(id)) cached.priors.delete(id);
      writes.set(customer, entries.length === 0 ? null : encodeTimeline(entries, cached.priors));
    }
    // Both before the commit, in either order: a re-read after either fails finds the markers of its
    // own position and the priors it stored, or the state before it, and emits the same signals.
    await Promise.all([this.deps.store.write(markerWrites, writes), this.deps.emit(signals)]);
    for (const s of signals) metrics.signals.inc({ kind: s.kind });
    for (const { item } of released) {
      const cached = this.cache.get(item.customer)!;
      if (--cached.buffered === 0) this.cache.delete(item.customer);
    }
  }

  /** Both co-partitioned topics may commit up to their smallest buffered offset, or all they received. */
  private safeOffsets(partition: number): TopicPartitionOffset[] {
    const buffer = this.buffer(partition);
    const out: TopicPartitionOffset[] = [];
    for (const topic of DETECTOR_TOPICS) {
      const received = this.received.get(`${topic}:${partition}`);
      if (received === undefined) continue;
      const min = buffer.minBufferedOffset(topic);
      out.push({ topic, partition, offset: min === undefined ? received : min.toString() });
    }
    return out;
  }
}
