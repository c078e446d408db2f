import {
  TOPICS,
  bucketDeltas,
  incrementsOf,
  judgeBatch,
  kpiEventTime,
  validateEvent,
  type BucketDelta,
  type ContactEvent,
  type InputTopic,
  type JourneySignal,
  type KpiEvent,
  type KpiSettings,
  type StoredMarkers,
  type ValidationResult,
  type WebJourneyEvent,
} from '@cxg/engine';
import type { BatchContext, BatchHandler, Consumed, Logger, PipelineMetrics } from '@cxg/platform';
import { markerField } from './keys.ts';
import { INPUT_ROLES, type InputRole, type KpiTopics } from './topics.ts';

/** What one batch needs to know before it is judged. */
export interface BatchState {
  /** Last offset of this topic-partition whose effects are in Redis; null before the first batch. */
  applied: string | null;
  /** The partition's watermark before this batch (greatest applied event time), null when empty. */
  watermarkMs: number | null;
  /** Duplicate markers found for the asked fields (`markerField`: field → its value). */
  markers: Map<string, string>;
}

export interface BatchEffects {
  partition: number;
  topic: string;
  /** The applied offset the lookups were read against (compare-and-set). */
  expectedApplied: string | null;
  /** The batch's last offset. */
  applied: string;
  /** Greatest event time of the batch's accepted records, null when none was accepted. */
  watermarkMs: number | null;
  markers: ReadonlyMap<string, string>;
  deltas: readonly BucketDelta[];
  /** Wall clock: decides the day key the markers go to. */
  nowMs: number;
}

/** What the handler needs of a partition's state (the worker's is `RedisKpiStore`): a batch reads once and applies once. */
export interface KpiStore {
  /** The applied offset of this topic-partition, the partition's watermark and the asked duplicate markers. */
  read(partition: number, topic: string, fields: readonly string[], nowMs: number): Promise<BatchState>;
  /** Applies a batch atomically; false when the applied offset moved since `read` (nothing changed). */
  apply(effects: BatchEffects): Promise<boolean>;
}

export interface KpiHandlerDeps {
  store: KpiStore;
  topics: KpiTopics;
  settings: KpiSettings;
  /** Events older than the partition watermark minus this are counted as late (still applied). */
  allowedLatenessMs: number;
  metrics: PipelineMetrics;
  log: Logger;
  now(): number;
}

/** Conflicts mean another member applied this partition meanwhile; a few re-reads settle it. */
const MAX_ATTEMPTS = 5;

type Parsed =
  | { role: 'contacts' | 'web'; validation: ValidationResult<ContactEvent | WebJourneyEvent> }
  | { role: 'signals'; signal: JourneySignal };

interface Rejection {
  record: Consumed;
  reason: string;
  message: string;
}

/** What a batch's records add once judged. */
interface Judged {
  accepted: KpiEvent[];
  /** Duplicate markers of the accepted records (field → '1', or the owner's hash for a contact_id). */
  markers: Map<string, string>;
  rejected: Rejection[];
  duplicates: number;
}

/** What the store's markers say of one contact's or journey's own ids. */
function storedMarkers(topic: InputTopic, validation: ValidationResult<ContactEvent | WebJourneyEvent>, known: ReadonlyMap<string, string>): StoredMarkers | undefined {
  const event = validation.event;
  if (event === undefined) return undefined;
  if (topic === TOPICS.web) return { accepted: known.has(markerField.journey(event.event_id)) };
  const owner = known.get(markerField.contactId((event as ContactEvent).contact_id));
  return { accepted: known.has(markerField.contact(event.event_id)), contactIdTaken: owner !== undefined && owner !== markerField.ownerValue(event.event_id) };
}

/**
 * The KPI worker's batch logic: contacts, signals and web journeys update minute and hour counters
 * at once (no reorder wait: counters are sums, order does not matter).
 *
 * Exactly-once effect: per batch, one pipelined read (applied offset, duplicate markers), judging in
 * TypeScript with the engine, then one Lua call that applies counters, markers, watermark and the
 * new applied offset together, compare-and-set on the applied offset read. The runner commits only
 * after that. After a crash the re-read records at offsets ≤ applied are skipped, the rest were
 * never applied: each accepted record counts exactly once whatever the moment of the crash.
 */
export class KpiHandler implements BatchHandler {
  private readonly roles = new Map<string, InputRole>();

  constructor(private readonly deps: KpiHandlerDeps) {
    for (const role of INPUT_ROLES) this.roles.set(deps.topics[role], role);
  }

  async onBatch(records: Consumed[], ctx: BatchContext): Promise<undefined> {
    const role = this.roles.get(ctx.topic);
    if (role === undefined) throw new Error(`kpi worker got a batch of ${ctx.topic}, which it does not consume`);
    for (let attempt = 1; ; attempt++) {
      if (await this.tryBatch(records, ctx, role)) return undefined;
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(`${ctx.topic}[${ctx.partition}]: the applied offset kept moving under this batch (${attempt} attempts); is a second member consuming the same partition?`);
      }
      this.deps.log.warn({ topic: ctx.topic, partition: ctx.partition, attempt }, 'applied offset moved since it was read: re-reading the batch');
    }
  }

  private parse(role: InputRole, value: unknown, now: number): Parsed {
    if (role === 'signals') return { role, signal: value as JourneySignal }; // our own Avro output: trusted
    const topic: InputTopic = role === 'contacts' ? TOPICS.contacts : TOPICS.web;
    return { role, validation: validateEvent(topic, value, now) as ValidationResult<ContactEvent | WebJourneyEvent> };
  }

  /** Duplicate-marker fields a record needs looked up. */
  private fieldsOf(p: Parsed): string[] {
    if (p.role === 'signals') return [markerField.signal(p.signal.signal_id)];
    const event = p.validation.event;
    if (event === undefined) return [];
    if (p.role === 'web') return [markerField.journey(event.event_id)];
    return [markerField.contact(event.event_id), markerField.contactId((event as ContactEvent).contact_id)];
  }

  /**
   * Judges the records not yet applied against the markers the store knew: signals by signal_id
   * (the detector may re-emit one after a crash), contacts and journeys by the engine's rules.
   * Returns what they add: accepted events and the markers that remember them.
   */
  private judge(pending: ReadonlyArray<{ r: Consumed; p: Parsed }>, known: ReadonlyMap<string, string>): Judged {
    const out: Judged = { accepted: [], markers: new Map(), rejected: [], duplicates: 0 };
    const events: Array<{ r: Consumed; topic: InputTopic; validation: ValidationResult<ContactEvent | WebJourneyEvent> }> = [];
    for (const { r, p } of pending) {
      if (p.role !== 'signals') {
        events.push({ r, topic: p.role === 'contacts' ? TOPICS.contacts : TOPICS.web, validation: p.validation });
        continue;
      }
      const f = markerField.signal(p.signal.signal_id);
      if (known.has(f) || out.markers.has(f)) out.duplicates++;
      else {
        out.markers.set(f, '1');
        out.accepted.push({ kind: 'signal', event: p.signal });
      }
    }
    const verdicts = judgeBatch(events.map(({ topic, validation }) => ({ topic, validation, stored: storedMarkers(topic, validation, known) })));
    verdicts.forEach((verdict, i) => {
      if (verdict.result === 'rejected') out.rejected.push({ record: events[i]!.r, reason: verdict.reason, message: verdict.message });
      else if (verdict.result === 'duplicate') out.duplicates++;
      else if (events[i]!.topic === TOPICS.contacts) {
        const c = verdict.event as ContactEvent;
        out.markers.set(markerField.contact(c.event_id), '1');
        out.markers.set(markerField.contactId(c.contact_id), markerField.ownerValue(c.event_id));
        out.accepted.push({ kind: 'contact', event: c });
      } else {
        const j = verdict.event as WebJourneyEvent;
        out.markers.set(markerField.journey(j.event_id), '1');
        out.accepted.push({ kind: 'journey', event: j });
      }
    });
    return out;
  }

  /** False when the compare-and-set found another applied offset: nothing was changed. */
  private async tryBatch(records: Consumed[], ctx: BatchContext, role: InputRole): Promise<boolean> {
    const { store, metrics, settings } = this.deps;
    const now = this.deps.now();
    const parsed = records.map((r) => ({ r, p: this.parse(role, r.value, now) }));
    const fields = [...new Set(parsed.flatMap(({ p }) => this.fieldsOf(p)))];
    const state = await store.read(ctx.partition, ctx.topic, fields, now);
    const applied = state.applied === null ? -1n : BigInt(state.applied);
    const last = BigInt(ctx.nextOffset) - 1n;
    if (last <= applied) return true; // a re-read of what is already in Redis: commit and move on

    const { accepted, markers, rejected, duplicates } = this.judge(
      parsed.filter(({ r }) => BigInt(r.offset) > applied),
      state.markers,
    );

    if (accepted.length > 0) {
      const times = accepted.map(kpiEventTime);
      const watermarkMs = times.reduce((a, b) => (b > a ? b : a));
      const ok = await store.apply({
        partition: ctx.partition,
        topic: ctx.topic,
        expectedApplied: state.applied,
        applied: last.toString(),
        watermarkMs,
        markers,
        deltas: bucketDeltas(accepted.flatMap((e) => incrementsOf(e, settings))),
        nowMs: now,
      });
      if (!ok) return false;
      for (const t of times) {
        metrics.processingLagSeconds.observe(Math.max(0, (now - t) / 1000));
        if (state.watermarkMs !== null && t < state.watermarkMs - this.deps.allowedLatenessMs) metrics.lateEvents.inc({ topic: ctx.topic });
      }
    }
    // Only after the effects are in: a retried batch must not count twice in process metrics either.
    if (accepted.length > 0) metrics.events.inc({ topic: ctx.topic, result: 'accepted' }, accepted.length);
    if (duplicates > 0) metrics.events.inc({ topic: ctx.topic, result: 'duplicate' }, duplicates);
    for (const x of rejected) ctx.reject(x.record, x.reason, x.message);
    return true;
  }
}
