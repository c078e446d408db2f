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
  type Released,
  type WebJourneyEvent,
} from '@cxg/engine';
import type { BatchContext, BatchHandler, Consumed, TopicPartition, TopicPartitionOffset } from '@cxg/platform';
import { CustomerState } from './customer-state.ts';
import type { DetectorMetrics } from './metrics.ts';

type DetectorEvent = ContactEvent | WebJourneyEvent;

interface Item {
  event: DetectorEvent;
  customer: string;
  topic: InputTopic;
  offset: string;
}

/** A customer's state as cached while it has buffered events. */
interface Cached {
  state: CustomerState;
  buffered: number;
}

/** What the handler needs of its state (the worker's is `RedisDetectorStore`): a batch reads once and writes once. */
export interface DetectorStore {
  /** The stored state of each customer, an empty one where none is stored. */
  load(customers: readonly string[]): Promise<Map<string, CustomerState>>;
  /** Replaces each given customer's whole state (an empty one goes away). */
  save(states: ReadonlyMap<string, CustomerState>): Promise<void>;
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
 * Each customer's state (customer-state.ts) is read before its first record in a batch and held
 * while it has buffered events, so a batch reads only customers it does not hold yet.
 *
 * Exactly-once effect: duplicate markers remember the position (`partition:offset`) that was
 * accepted, so a re-read after a crash is told apart from a real duplicate and processed again;
 * a contact's timeline entry stores the prior it found, so a re-processed contact re-emits the very
 * same signal instead of recomputing it against a timeline that moved on.
 */
export class DetectorHandler implements BatchHandler {
  private readonly buffers = new Map<number, ReorderBuffer<Item>>();
  private readonly cache = new Map<string, Cached>();
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

    const customerOf = (event: DetectorEvent | undefined) => event?.customer_id ?? null;
    const toLoad = new Set<string>();
    for (const { v } of judged) {
      const customer = customerOf(v.event as DetectorEvent | undefined);
      if (customer !== null && !this.cache.has(customer)) toLoad.add(customer);
    }
    const loaded = await store.load([...toLoad]);
    const stateOf = (customer: string) => this.cache.get(customer)?.state ?? loaded.get(customer)!;

    const position = (r: Consumed) => `${r.partition}:${r.offset}`;
    const verdicts = judgeBatch(
      judged.map(({ r, v }) => {
        const event = v.event as DetectorEvent | undefined;
        const customer = customerOf(event);
        if (customer === null) return { topic, validation: v, stored: undefined };
        const state = stateOf(customer);
        const acceptedAt = state.acceptedAt('contact_id' in event! ? 'contact' : 'journey', event!.event_id);
        // A marker at this very position is this delivery's own, from before a crash: not a duplicate.
        const accepted = acceptedAt !== null && acceptedAt !== position(r);
        return { topic, validation: v, stored: { accepted, contactIdTaken: 'contact_id' in event! && state.contactIdTaken(event.contact_id, event.event_id) } };
      }),
    );
    const dirty = new Set<string>();
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
      const state = this.retain(customer, loaded.get(customer));
      state.accept('contact_id' in event ? 'contact' : 'journey', event.event_id, 'contact_id' in event ? event.contact_id : null, { partition: r.partition, offset: Number(r.offset) });
      dirty.add(customer);
      released.push(...buffer.push({ event, customer, topic, offset: r.offset }));
    }
    this.received.set(`${topic}:${ctx.partition}`, ctx.nextOffset);
    await this.apply(ctx.partition, released, dirty);
    return this.safeOffsets(ctx.partition);
  }

  /** Releases what the idle partitions' topics (the runner's verdict: at the log end) no longer hold back. */
  async onTick(_nowMs: number, idle: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const commits: TopicPartitionOffset[] = [];
    for (const [partition, buffer] of this.buffers) {
      const released = buffer.setIdle(idle.filter((tp) => tp.partition === partition).map((tp) => tp.topic));
      if (released.length === 0) continue;
      await this.apply(partition, released, new Set());
      commits.push(...this.safeOffsets(partition));
    }
    return commits;
  }

  /** The cached state of a customer with an accepted record, from `loaded` when not cached yet. */
  private retain(customer: string, loaded: CustomerState | undefined): CustomerState {
    let cached = this.cache.get(customer);
    if (!cached) this.cache.set(customer, (cached = { state: loaded!, buffered: 0 }));
    cached.buffered++;
    return cached.state;
  }

  /**
   * Detects over released events (in order), writes the state of every customer it changed or that
   * has new markers (`dirty`) and emits the signals (but those of replayed contacts).
   */
  private async apply(partition: number, released: Released<Item>[], dirty: Set<string>): Promise<void> {
    const { metrics, settings, maxTimelineEntries } = this.deps;
    const now = this.deps.now();
    const signals: JourneySignal[] = [];
    const fresh: DetectorEvent[] = [];
    const replayed = new Set<string>();
    for (const { item, late } of released) {
      const stored = 'contact_id' in item.event ? this.cache.get(item.customer)!.state.priors.get(item.event.event_id) : undefined;
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
    const timelines = new InMemoryTimelineStore([...customers].map((c) => [c, this.cache.get(c)!.state.entries]));
    const detected = detectInOrder(fresh, timelines, {
      settings,
      maxTimelineEntries,
      onTruncated: (_customer, dropped) => metrics.timelineTruncated.inc(dropped),
    });
    const byContact = new Map(detected.map((s) => [s.contact_event_id, s]));
    for (const e of fresh) {
      if ('contact_id' in e && e.answered_at !== null) {
        const signal = byContact.get(e.event_id);
        this.cache.get(e.customer_id)!.state.priors.set(e.event_id, signal === undefined ? null : priorOf(signal));
      }
    }
    signals.push(...detected.filter((s) => !replayed.has(s.contact_event_id)));

    for (const [customer, entries] of timelines.takeChanged()) {
      this.cache.get(customer)!.state.setEntries(entries);
      dirty.add(customer);
    }
    const writes = new Map([...dirty].map((c) => [c, this.cache.get(c)!.state]));
    // Both before the commit, in either order: a re-read after either fails finds the markers of its
    // own position and the priors it stored, or the state before it, and emits the same signals.
    await Promise.all([this.deps.store.save(writes), this.deps.emit(signals)]);
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
