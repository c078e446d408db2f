import {
  TOPICS,
  bucketDeltas,
  incrementsOf,
  judge,
  kpiEventTime,
  validateEvent,
  type ContactEvent,
  type DedupeLookup,
  type InputTopic,
  type JourneySignal,
  type KpiEvent,
  type KpiSettings,
  type ValidationResult,
  type WebJourneyEvent,
} from '@cxg/engine';
import type { BatchContext, BatchHandler, Consumed, Logger, PipelineMetrics } from '@cxg/platform';
import { markerField } from './keys.ts';
import type { RedisKpiStore } from './store.ts';
import { INPUT_ROLES, type InputRole, type KpiTopics } from './topics.ts';

export interface KpiHandlerDeps {
  store: RedisKpiStore;
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

    // Markers of records accepted earlier in this batch, on top of what Redis knows.
    const fresh = new Map<string, string>();
    const marker = (f: string): string | undefined => fresh.get(f) ?? state.markers.get(f);
    const lookup: DedupeLookup = {
      isAccepted: (t, id) => marker(t === TOPICS.contacts ? markerField.contact(id) : markerField.journey(id)) !== undefined,
      contactOwner: (cid) => marker(markerField.contactId(cid)),
    };
    const accepted: KpiEvent[] = [];
    const rejected: Rejection[] = [];
    let duplicates = 0;
    for (const { r, p } of parsed) {
      if (BigInt(r.offset) <= applied) continue;
      if (p.role === 'signals') {
        // The detector may re-emit a signal after a crash: signal_id decides.
        const f = markerField.signal(p.signal.signal_id);
        if (marker(f) !== undefined) duplicates++;
        else {
          fresh.set(f, '1');
          accepted.push({ kind: 'signal', event: p.signal });
        }
        continue;
      }
      const topic: InputTopic = p.role === 'contacts' ? TOPICS.contacts : TOPICS.web;
      const verdict = judge(topic, p.validation, lookup);
      if (verdict.result === 'rejected') rejected.push({ record: r, reason: verdict.reason, message: verdict.message });
      else if (verdict.result === 'duplicate') duplicates++;
      else if (p.role === 'contacts') {
        const c = verdict.event as ContactEvent;
        fresh.set(markerField.contact(c.event_id), '1');
        fresh.set(markerField.contactId(c.contact_id), c.event_id);
        accepted.push({ kind: 'contact', event: c });
      } else {
        const j = verdict.event as WebJourneyEvent;
        fresh.set(markerField.journey(j.event_id), '1');
        accepted.push({ kind: 'journey', event: j });
      }
    }

    if (accepted.length > 0) {
      const times = accepted.map(kpiEventTime);
      const watermarkMs = times.reduce((a, b) => (b > a ? b : a));
      const ok = await store.apply({
        partition: ctx.partition,
        topic: ctx.topic,
        expectedApplied: state.applied,
        applied: last.toString(),
        watermarkMs,
        markers: fresh,
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
