/**
 * The accruals worker's batch logic (docs/accruals.md; docs/architecture.md, "Streaming rules in brief"):
 * validate → judge duplicates against the facts in ClickHouse → write facts → (on the next tick)
 * re-rate every (contract, day) the new facts touch, plus the days the watermark newly reaches,
 * finalises or closes → save the watermark → release the offsets, which the runner commits.
 * Storage first, offsets last.
 *
 * Exactly-once effect: every effect is an idempotent write (facts by id, ledger lines by
 * accrual_id with a newer version of a recomputation from all facts). A fact row remembers where
 * it was accepted, so a batch re-read after a crash is told apart from a real duplicate: its
 * records are accepted again and their days re-rated, in case the crash came before the rating.
 */
import {
  InMemoryDedupeStore,
  SignalKindValues,
  TOPICS,
  addDays,
  datesBetween,
  eventTimeOf,
  judge,
  localDateOf,
  monthOf,
  validateEvent,
  type ContactEvent,
  type ContractsConfig,
  type CustomerEvent,
  type InputTopic,
  type JourneySignal,
  type LineRangeError,
} from '@cxg/engine';
import type { BatchContext, BatchHandler, Consumed, Logger, TopicPartitionOffset } from '@cxg/platform';
import {
  DirtyDays,
  configVersion,
  insertFacts,
  isRatedUnder,
  rateRange,
  saveRatedUnder,
  insertSignals,
  lookupStored,
  monthToDate,
  noteRecord,
  rateDays,
  ratedContract,
  readArrivedWatermark,
  readFirstRecords,
  readRatedStarts,
  readWatermark,
  saveRatedStarts,
  saveWatermark,
  storedSignalArrivals,
  touchByEvent,
  touchBySignal,
  watermarkDays,
  type AcceptedFact,
  type ClickHouseClient,
  type RatingChunk,
  type VersionClock,
} from '@cxg/ledger';
import type { AccrualsMetrics } from './metrics.ts';

export const ACCRUALS_TOPICS = [TOPICS.contacts, TOPICS.web, TOPICS.customers, TOPICS.signals] as const;

export interface AccrualsDeps {
  client: ClickHouseClient;
  config: ContractsConfig;
  metrics: AccrualsMetrics;
  versions: VersionClock;
  log: Logger;
  now(): number;
  /** Rate after every batch instead of on the next tick (tests, and very low volumes). */
  rateEveryBatch?: boolean;
}

/** Signals come from our own detector; a shape check keeps a foreign record from breaking rating. */
function isSignal(v: unknown): v is JourneySignal {
  const s = v as Partial<JourneySignal> | null;
  return (
    typeof s === 'object' && s !== null &&
    typeof s.signal_id === 'string' && s.signal_id !== '' &&
    (SignalKindValues as readonly unknown[]).includes(s.kind) &&
    typeof s.contact_provider_id === 'string' && (s.prior_provider_id === null || typeof s.prior_provider_id === 'string') &&
    typeof s.intent_family === 'string' && Number.isSafeInteger(s.contact_ended_at) && Number.isSafeInteger(s.prior_ended_at)
  );
}

export class AccrualsHandler implements BatchHandler {
  /** The watermark the ledger was last rated at (durable in accrual_state). */
  private watermark: number | null = null;
  /** The watermark including stored but not yet rated records. */
  private seen: number | null = null;
  private dirty = new DirtyDays();
  /** Offsets of stored batches, committed once their days are rated. */
  private readonly pending = new Map<string, TopicPartitionOffset>();
  /** Per provider, its earliest stored record: where its contracts' ledgers start unless configured. */
  private firsts = new Map<string, number>();
  /** Per contract, the ledger start it was last rated from (durable in accrual_state). */
  private ratedStarts = new Map<string, string>();
  /** The runner's clock before which a tick does not rate (onTick). */
  private nextRatingAt = -Infinity;

  constructor(private readonly deps: AccrualsDeps) {}

  /** Loads the durable watermark; call before the first batch. */
  async init(): Promise<void> {
    this.watermark = await readWatermark(this.deps.client);
    // facts stored but not rated before a crash raised the watermark too: arrivals go on from there
    const arrived = await readArrivedWatermark(this.deps.client);
    this.seen = arrived !== null && (this.watermark === null || arrived > this.watermark) ? arrived : this.watermark;
    this.firsts = await readFirstRecords(this.deps.client);
    this.ratedStarts = await readRatedStarts(this.deps.client);
    if (this.watermark !== null) this.deps.metrics.watermarkSeconds.set(this.watermark / 1000);
  }

  /**
   * A line that cannot be booked (an amount beyond the signed 64-bit range of cents) comes from
   * the input, so retrying cannot help: its contract month is logged, counted and left as it was,
   * and every other month and contract is rated. The day is tried again when it is next touched
   * (a new fact, turning final, a month close) or by `cxg rerate`.
   */
  private readonly onLineError = (err: LineRangeError, chunk: RatingChunk): void => {
    this.deps.metrics.accrualErrors.inc({ contract: err.contract_id, reason: err.reason });
    this.deps.log.error({ contract: err.contract_id, date: err.date, line_type: err.line_type, channel: err.channel, month: chunk.month, reason: err.reason }, err.message);
  };

  /**
   * Settles the whole ledger under this contracts file when it was last settled under another
   * (docs/accruals.md, "Config versions"): every contract from its ledger start to the watermark's
   * day, final lines kept and their changes posted as config_change adjustments (a line type the
   * file no longer rates reversed), provisional ones replaced. Returns the adjustment rows posted.
   */
  async settleConfigChange(): Promise<number> {
    const { client, config, versions, log } = this.deps;
    const version = configVersion(config);
    if (await isRatedUnder(client, version)) return 0;
    let adjustments = 0;
    if (this.watermark !== null) {
      const contracts = config.contracts.flatMap((k) => ratedContract(k, this.firsts) ?? []);
      const summary = await rateRange(client, config, contracts, '0000-01-01', '9999-12-31', this.watermark, {
        versions,
        previousWatermarkMs: this.watermark,
        reconcile: true,
        onLineError: this.onLineError,
      });
      adjustments = summary.adjustments;
      log.info({ config_version: version, days: summary.days, adjustments }, 'ledger settled under the new config version');
    }
    await saveRatedUnder(client, version, versions.next());
    return adjustments;
  }

  get watermarkMs(): number | null {
    return this.watermark;
  }

  /**
   * Stores the batch's facts and marks the days they touch. Rating is coalesced: it runs on the
   * next tick for everything stored since the last one (a rating costs about the same for one
   * record as for thousands), and only then are the offsets released for commit.
   */
  async onBatch(records: Consumed[], ctx: BatchContext): Promise<TopicPartitionOffset[]> {
    if (ctx.topic === TOPICS.signals) await this.storeSignals(records, ctx);
    else await this.storeFacts(records, ctx);
    this.pending.set(`${ctx.topic}:${ctx.partition}`, { topic: ctx.topic, partition: ctx.partition, offset: ctx.nextOffset });
    return this.deps.rateEveryBatch ? this.flush('batch') : [];
  }

  /**
   * Rates what was stored since the last rating. Given the runner's clock (`now`), a tick after a
   * rating that took d ms rates only once 3d ms have passed since that one began: in a backlog a
   * rating grows with the final days it settles (adjustments), and spacing it out keeps batches
   * flowing at least two thirds of the time, while a live stream's small ratings run every tick.
   */
  async onTick(now?: number): Promise<TopicPartitionOffset[]> {
    if (this.pending.size === 0 || (now !== undefined && now < this.nextRatingAt)) return [];
    const started = performance.now();
    const offsets = await this.flush('tick');
    if (now !== undefined) this.nextRatingAt = now + 3 * (performance.now() - started);
    return offsets;
  }

  onAssign(): void {
    // Uncommitted batches are re-read from the committed offsets after a rebalance (their facts
    // are then accepted again, being the same deliveries); the dirty days stay marked.
    this.pending.clear();
  }

  /**
   * Rates what was stored since the last flush, saves the watermark, and releases the offsets.
   * Batches and ticks run one at a time, so nothing is added meanwhile; if rating fails, the dirty
   * days and pending offsets stay for the next tick (re-rating is idempotent).
   */
  async flush(trigger: 'batch' | 'tick' = 'tick'): Promise<TopicPartitionOffset[]> {
    await this.rate(this.dirty, this.seen, trigger);
    this.dirty = new DirtyDays();
    const offsets = [...this.pending.values()];
    this.pending.clear();
    return offsets;
  }

  private async storeSignals(records: Consumed[], ctx: BatchContext): Promise<void> {
    const signals: JourneySignal[] = [];
    for (const r of records) {
      if (isSignal(r.value)) signals.push(r.value);
      else ctx.reject(r, 'wrong_type', 'not a JourneySignal');
    }
    // A signal arrives with the watermark at the time (at least its contact's end), once: re-emitted, it keeps its first arrival.
    const arrivals = await storedSignalArrivals(this.deps.client, signals.map((s) => s.signal_id));
    for (const s of signals) {
      if (!arrivals.has(s.signal_id)) arrivals.set(s.signal_id, this.seen === null || s.contact_ended_at > this.seen ? s.contact_ended_at : this.seen);
    }
    await insertSignals(this.deps.client, signals, this.deps.versions.next(), arrivals);
    for (const s of signals) touchBySignal(this.dirty, this.deps.config, s);
    this.deps.metrics.events.inc({ topic: ctx.topic, result: 'accepted' }, signals.length);
  }

  /** Judges and writes one input batch, raising the seen watermark by its accepted records. */
  private async storeFacts(records: Consumed[], ctx: BatchContext): Promise<void> {
    const { client, config, metrics } = this.deps;
    const now = this.deps.now();
    const topic = ctx.topic as InputTopic;
    const judged = records.map((r) => ({ r, v: validateEvent(topic, r.value, now) }));
    const eventIds = new Set<string>();
    const contactIds = new Set<string>();
    for (const { v } of judged) {
      if (v.event === undefined) continue;
      eventIds.add(v.event.event_id);
      if (topic === TOPICS.contacts) contactIds.add((v.event as ContactEvent).contact_id);
    }
    const stored = await lookupStored(client, topic, [...eventIds], [...contactIds]);
    const batch = new InMemoryDedupeStore();
    const accepted: AcceptedFact[] = [];
    for (const { r, v } of judged) {
      const source = `${topic}/${r.partition}/${r.offset}`;
      const verdict = judge(topic, v, {
        isAccepted: (t, id) => batch.isAccepted(t, id) || (stored.events.has(id) && stored.events.get(id) !== source),
        contactOwner: (cid) => batch.contactOwner(cid) ?? stored.contactOwners.get(cid),
      });
      if (verdict.result === 'rejected') {
        ctx.reject(r, verdict.reason, verdict.message);
        continue;
      }
      metrics.events.inc({ topic, result: verdict.result });
      if (verdict.result === 'duplicate') continue;
      batch.remember(topic, verdict.event);
      const t = eventTimeOf(verdict.event);
      metrics.processingLagSeconds.observe(Math.max(0, (now - t) / 1000));
      if (this.seen === null || t > this.seen) this.seen = t;
      // arrival = the watermark right after accepting it; a re-read after a crash keeps the first
      const reread = stored.events.get(verdict.event.event_id) === source ? stored.arrived.get(verdict.event.event_id) : undefined;
      accepted.push({ topic, event: verdict.event, source, arrivedMs: reread ?? this.seen });
      if (topic === TOPICS.contacts) noteRecord(this.firsts, (verdict.event as ContactEvent).provider_id, t);
      else if (topic === TOPICS.customers) noteRecord(this.firsts, (verdict.event as CustomerEvent).provider_id, t);
    }
    await insertFacts(client, accepted, this.deps.versions.next());
    for (const a of accepted) touchByEvent(this.dirty, config, topic, a.event, this.seen!);
  }

  /** Re-rates the dirty days and the days the watermark move reaches, then saves the watermark. */
  private async rate(dirty: DirtyDays, watermark: number | null, trigger: 'batch' | 'tick'): Promise<void> {
    if (watermark === null) return; // nothing accepted yet: no day is ratable
    const { client, config, metrics, versions, log } = this.deps;
    const end = metrics.ratingSeconds.startTimer();
    const latenessMs = config.detection.allowed_lateness_ms;
    let days = 0;
    const onLineError = this.onLineError;
    const moved = new Map<string, string>();
    for (const contract of config.contracts) {
      const c = ratedContract(contract, this.firsts);
      if (c === null) continue; // nothing of its provider yet, and no configured start
      const dates = [...dirty.dates(c.id), ...watermarkDays(c, this.watermark, watermark, latenessMs)];
      // A start earlier than the one rated (the provider's first record, or an earlier one arrived
      // late) brings days into the ledger that were never rated; planRating keeps those up to the watermark's day.
      const before = this.ratedStarts.get(c.id);
      if (before === undefined || c.valid_from < before) dates.push(...datesBetween(c.valid_from, before === undefined ? c.valid_to : addDays(before, -1)));
      if (before !== c.valid_from) moved.set(c.id, c.valid_from);
      // what was final at the last rated watermark is never rewritten: changes to it become adjustments
      if (dates.length > 0) days += (await rateDays(client, config, c, dates, watermark, { versions, onLineError, previousWatermarkMs: this.watermark })).days;
    }
    // Saved after the rating, like the watermark: a crash before re-rates those days again.
    if (moved.size > 0) {
      await saveRatedStarts(client, moved, versions.next());
      for (const [id, start] of moved) this.ratedStarts.set(id, start);
    }
    if (watermark !== this.watermark) {
      await saveWatermark(client, watermark);
      this.watermark = watermark;
      metrics.watermarkSeconds.set(watermark / 1000);
    }
    if (days > 0) await this.updateGauge(watermark);
    const seconds = end({ trigger });
    if (days > 0) log.debug({ days, seconds }, 'rated');
  }

  private async updateGauge(watermark: number): Promise<void> {
    const { client, config, metrics } = this.deps;
    const months = config.contracts.map((c) => ({ contractId: c.id, month: monthOf(localDateOf(watermark, c.timezone)) }));
    const totals = await monthToDate(client, months);
    metrics.accrualCents.reset();
    for (const t of totals) metrics.accrualCents.set({ contract: t.contract_id, line_type: t.line_type }, Number(t.cents));
  }
}
