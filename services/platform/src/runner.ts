import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { TOPICS } from '@cxg/engine';
import { DrainWatch, kafkaDrainSource, type TopicPartition } from './drain.ts';
import { CoPartitionAssigner } from './kafka.ts';
import { sendToDlq, type Rejected } from './dlq.ts';
import { StateKeeper, type StateOptions } from './rebuild.ts';
import type { Logger } from './logger.ts';
import { recordAssignment, type PipelineMetrics } from './metrics.ts';
import { UndecodableError, type Serde } from './serde.ts';
import { DEFAULT_TOPIC_NAMES, type TopicNames } from './topic-names.ts';

export interface Consumed<V = unknown> {
  topic: string;
  partition: number;
  /** Kafka offset as kafkajs gives it (a decimal string). */
  offset: string;
  key: Buffer | null;
  value: V;
}

export type Validate = (topic: string, value: unknown) => { ok: true; event: unknown } | { ok: false; reason: string; message: string };

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read, as Kafka commits it. */
  offset: string;
}

export interface BatchContext {
  topic: string;
  partition: number;
  /** The offset after the batch's last record. */
  nextOffset: string;
  /** Dead-letters a record the handler itself rejects (e.g. a stateful rule such as duplicate_contact_id). */
  reject(record: Consumed, reason: string, message: string): void;
}

/** What a worker plugs into the runner: effects for accepted records; the runner commits after them. */
export interface BatchHandler {
  /**
   * Applies the effects of one topic-partition batch of decoded (and, with `validate`, valid)
   * records, in offset order. Returns the offsets that are now safe to commit (a worker holding
   * records in a reorder buffer returns the smallest buffered offset per co-partitioned topic);
   * undefined commits the whole batch.
   */
  onBatch(records: Consumed[], batch: BatchContext): Promise<TopicPartitionOffset[] | undefined>;
  /**
   * Wall-clock tick; `idle` lists the assigned partitions that have nothing more to give (see
   * `idleAfterMs`). Returns further offsets that became safe to commit.
   */
  onTick?(nowMs: number, idle: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>;
  /**
   * Drop all in-memory state: the group assigned partitions anew, or the runner sought back after a
   * failure. kafkajs (or the runner) resumes every partition from where it last committed.
   */
  onAssign?(assignment: Record<string, number[]>): void;
  /**
   * With `state`: the store lost `partition`'s state and the runner re-reads it from further back.
   * Records before `until[topic]` were processed before the loss: they rebuild the store's state,
   * and their other effects (signals sent, say) must not happen again. Called again after each
   * onAssign while the rebuild lasts.
   */
  onRebuild?(partition: number, until: ReadonlyMap<string, bigint>): void;
}

/** kafkajs's own default; a member killed without leaving holds its partitions this long. */
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;

/** Backoff of a failed batch or tick: doubles from `initialMs` per failure in a row, up to `maxMs`. */
export const DEFAULT_RETRY_BACKOFF = { initialMs: 250, maxMs: 10_000 } as const;

/** Without a heartbeat, fetch or commit for this long the broker counts as unreachable (/readyz). */
export const DEFAULT_BROKER_SILENCE_MS = 10_000;

/** Group-membership errors: kafkajs rejoins the group itself when the batch rethrows them. */
const MEMBERSHIP_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

const tpKey = (topic: string, partition: number) => `${topic}:${partition}`;

export interface RunnerOptions {
  kafka: Kafka;
  groupId: string;
  /** Logical topics (`TOPICS`); the runner subscribes to their Kafka topics under `names`. */
  topics: readonly string[];
  /**
   * Logical ↔ Kafka topic names; default `serde.names`. The runner alone translates: it subscribes,
   * seeks, commits, dead-letters (the DLQ's Kafka topic, `cx-source-topic` the Kafka topic read)
   * and asks the admin API by Kafka topic, while the handler, `validate`, `dlqTopics`, the serde's
   * decode and the metrics' `topic` label see the logical topic.
   */
  names?: TopicNames;
  serde: Serde;
  producer: Producer;
  metrics: PipelineMetrics;
  log: Logger;
  handler: BatchHandler;
  /** Per-topic validation of decoded values (docs/events.md); topics without one are trusted. */
  validate?: Validate;
  /**
   * Topics whose rejects this worker dead-letters (default: all it consumes). Several workers read
   * the same input topics; exactly one of them owns each topic's DLQ entries so a bad record is
   * dead-lettered once, while every worker counts its rejects in `cx_events_total`.
   */
  dlqTopics?: readonly string[];
  tickMs?: number;
  /**
   * How long the group waits for a member that stopped heartbeating (a killed one holds its
   * partitions that long): failover time against tolerance of long pauses. Default
   * DEFAULT_SESSION_TIMEOUT_MS; the workers take it from CX_SESSION_TIMEOUT_MS (`readWorkerSettings`).
   */
  sessionTimeoutMs?: number;
  /**
   * With `onTick`: a partition counts as idle once this process's position on it has been at the log
   * end for this long (wall clock). Without it no partition is ever reported idle.
   */
  idleAfterMs?: number;
  fromBeginning?: boolean;
  /** Default DEFAULT_RETRY_BACKOFF. */
  retryBackoff?: { initialMs: number; maxMs: number };
  /** Default DEFAULT_BROKER_SILENCE_MS. */
  brokerSilenceMs?: number;
  /** The handler keeps state in a store that can lose it: guard it with epochs and rebuild it (epoch.ts). */
  state?: StateOptions;
}

/**
 * The batch consumer loop: decode → validate (rejects to the DLQ) → effects → commit. Effects first,
 * offsets last, so a crash re-reads exactly what was not committed; effects are idempotent.
 * Batches and ticks run one at a time so commits never race.
 *
 * Faults: a batch or tick that fails (a store timed out, a send gave up) resets the handler's
 * in-memory state and seeks every partition back to where this member last committed, as a
 * rebalance would, then waits with backoff; the member heartbeats all the while, so it keeps its
 * partitions through an outage of any length. A consumer kafkajs will not restart settles `fatal`,
 * and the process should exit so that its supervisor starts it again.
 */
export class ConsumerRunner {
  private consumer: Consumer | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private ticker: NodeJS.Timeout | null = null;
  private joined = false;
  private stopping = false;
  private drain: DrainWatch | null = null;
  private admin: ReturnType<Kafka['admin']> | null = null;
  private keeper: StateKeeper | null = null;
  private assignment: Record<string, number[]> = {};
  /** Per `topic:partition`: where a recovery re-reads from (the last commit, or the first offset read since the assignment). */
  private readonly restartAt = new Map<string, string>();
  private failuresInARow = 0;
  private lastBrokerContactMs = 0;
  private failFatally: (err: Error) => void = () => undefined;
  /** Settles when the consumer crashed and kafkajs will not restart it. */
  readonly fatal: Promise<Error> = new Promise((resolve) => (this.failFatally = resolve));

  private readonly names: TopicNames;

  constructor(private readonly opts: RunnerOptions) {
    this.names = opts.names ?? opts.serde.names ?? DEFAULT_TOPIC_NAMES;
  }

  /** Offsets a handler returned (logical topics) as Kafka commits them. */
  private toKafka(offsets: readonly TopicPartitionOffset[]): TopicPartitionOffset[] {
    return offsets.map((o) => ({ ...o, topic: this.names.physical(o.topic) }));
  }

  /** A group assignment (by Kafka topic) as the handler sees it (by logical topic). */
  private toLogical(assignment: Record<string, number[]>): Record<string, number[]> {
    return Object.fromEntries(Object.entries(assignment).map(([t, ps]) => [this.names.logical(t), ps]));
  }

  /** Null while joined and in touch with the broker, else why not (for /readyz). */
  brokerHealth(nowMs: number = Date.now()): string | null {
    if (!this.joined) return 'not a member of the consumer group';
    const silentMs = nowMs - this.lastBrokerContactMs;
    const limit = this.opts.brokerSilenceMs ?? DEFAULT_BROKER_SILENCE_MS;
    return silentMs > limit ? `no heartbeat, fetch or commit for ${Math.round(silentMs / 1000)} s` : null;
  }

  /** Null unless a partition's lost store state is being rebuilt (for /readyz). */
  stateHealth(): string | null {
    return this.keeper?.status() ?? null;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async start(): Promise<void> {
    const { kafka, groupId, handler, log } = this.opts;
    const topics = this.opts.topics.map((t) => this.names.physical(t));
    const sessionTimeout = this.opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    const consumer = kafka.consumer({
      groupId,
      partitionAssigners: [CoPartitionAssigner],
      allowAutoTopicCreation: false,
      sessionTimeout,
      heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 3)),
    });
    this.consumer = consumer;
    const contact = () => (this.lastBrokerContactMs = Date.now());
    for (const event of [consumer.events.HEARTBEAT, consumer.events.FETCH, consumer.events.COMMIT_OFFSETS]) consumer.on(event, contact);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      contact();
      log.info({ assignment: e.payload.memberAssignment, memberId: e.payload.memberId }, 'joined consumer group');
      recordAssignment(this.opts.metrics, e.payload.memberId, this.toLogical(this.assignment), this.toLogical(e.payload.memberAssignment));
      this.assignment = e.payload.memberAssignment;
      this.restartAt.clear();
      this.keeper?.reset();
      this.drain?.assign(e.payload.memberAssignment);
      handler.onAssign?.(this.toLogical(e.payload.memberAssignment));
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.joined = false;
      const { error, restart } = e.payload;
      if (restart || this.stopping) {
        log.warn({ err: error, restart }, 'consumer crashed; kafkajs restarts it');
        return;
      }
      log.fatal({ err: error }, 'consumer crashed and kafkajs will not restart it: the process must exit');
      this.failFatally(new Error(`consumer of group ${groupId} crashed for good: ${error.message}`, { cause: error }));
    });
    const needsDrain = handler.onTick !== undefined && this.opts.idleAfterMs !== undefined;
    if (needsDrain || this.opts.state) {
      this.admin = kafka.admin();
      await this.admin.connect();
    }
    if (needsDrain) this.drain = new DrainWatch(kafkaDrainSource(this.admin!, groupId, this.opts.fromBeginning ?? true), this.opts.idleAfterMs!);
    if (this.opts.state) this.keeper = new StateKeeper({ ...this.opts.state, admin: this.admin!, groupId, topics, log, metrics: this.opts.metrics });
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: this.opts.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    if (handler.onTick) {
      this.ticker = setInterval(() => {
        void this.serial(async () => {
          if (this.stopping) return;
          try {
            const now = Date.now();
            const idle = this.drain === null ? [] : (await this.drain.idle(now)).map((tp) => ({ ...tp, topic: this.names.logical(tp.topic) }));
            await this.commit(this.toKafka(await handler.onTick!(now, idle)));
          } catch (err) {
            await this.recover('tick', err as Error, () => !this.stopping);
          }
        });
      }, this.opts.tickMs ?? 1000);
    }
  }

  /**
   * One fetched batch, queued behind the batch or tick in flight. The member heartbeats while it
   * waits and while the batch runs, however long a store takes.
   */
  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const beat = setInterval(() => {
      payload.heartbeat().catch((err: Error) => this.opts.log.debug({ err }, 'heartbeat during a batch failed'));
    }, 1000);
    try {
      await this.serial(async () => {
        try {
          await this.processBatch(payload);
          this.failuresInARow = 0;
        } catch (err) {
          const e = err as Error & { type?: string };
          // A lost membership is kafkajs's to handle: it rejoins, and the new assignment resets the handler.
          if (MEMBERSHIP_ERRORS.has(e.type ?? '') || !payload.isRunning() || this.stopping) throw err;
          await this.recover('batch', e, () => payload.isRunning() && !this.stopping);
        }
      });
    } finally {
      clearInterval(beat);
    }
  }

  /**
   * After a failed batch or tick: drop the handler's in-memory state, seek every partition this
   * member read back to where it last committed (so nothing buffered is lost and nothing applied is
   * skipped; effects are idempotent), then back off while `keepWaiting` holds.
   */
  private async recover(stage: 'batch' | 'tick', err: Error, keepWaiting: () => boolean): Promise<void> {
    const { log, metrics } = this.opts;
    const backoff = this.opts.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
    this.failuresInARow++;
    const delayMs = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(this.failuresInARow - 1, 20));
    metrics.recoveries.inc({ stage });
    log.warn({ err, stage, failuresInARow: this.failuresInARow, retryInMs: delayMs }, `${stage} failed: re-reading from the committed offsets after a backoff`);
    this.keeper?.rewound();
    this.rewind();
    const until = Date.now() + delayMs;
    while (Date.now() < until && keepWaiting()) await new Promise((r) => setTimeout(r, Math.min(200, until - Date.now())));
  }

  /** Drops the handler's in-memory state and seeks every partition read back to its restart offset. */
  private rewind(): void {
    const { handler } = this.opts;
    handler.onAssign?.(this.toLogical(this.assignment));
    this.drain?.assign(this.assignment);
    for (const [key, offset] of this.restartAt) {
      const at = key.lastIndexOf(':');
      this.consumer!.seek({ topic: key.slice(0, at), partition: Number(key.slice(at + 1)), offset });
    }
    for (const partitions of Object.values(this.assignment)) {
      for (const p of new Set(partitions)) {
        const until = this.keeper?.replayUntil(p);
        if (until) handler.onRebuild?.(p, new Map([...until].map(([t, o]) => [this.names.logical(t), o])));
      }
    }
  }

  /** Starts rebuilding the partitions whose state was lost: their restart offsets move back, then everything rewinds. */
  private async rebuild(partitions: number[]): Promise<void> {
    for (const s of await this.keeper!.start(partitions)) this.restartAt.set(tpKey(s.topic, s.partition), s.offset);
    this.rewind();
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { serde, validate, metrics, producer, handler } = this.opts;
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const key = tpKey(batch.topic, batch.partition);
    // The handler, validate, decode and the metrics see the logical topic; rejects keep the Kafka one.
    const topic = this.names.logical(batch.topic);
    if (!this.restartAt.has(key)) this.restartAt.set(key, batch.messages[0]!.offset);
    this.keeper?.observe(batch.partition, batch.messages.length, batch.messages.reduce((n, m) => n + (m.value?.length ?? 0), 0));
    const end = metrics.batchSeconds.startTimer();
    const accepted: Consumed[] = [];
    const rejected: Rejected[] = [];
    const raw = new Map<string, Buffer | null>();
    for (const m of batch.messages) {
      raw.set(m.offset, m.value);
      const reject = (reason: string, message: string) =>
        rejected.push({ topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value, reason, message });
      let value: unknown;
      try {
        value = await serde.decode(topic, m.value);
      } catch (err) {
        if (!(err instanceof UndecodableError)) throw err;
        reject('undecodable', err.message);
        continue;
      }
      const verdict = validate ? validate(topic, value) : { ok: true as const, event: value };
      if (!verdict.ok) {
        reject(verdict.reason, verdict.message);
        continue;
      }
      accepted.push({ topic, partition: batch.partition, offset: m.offset, key: m.key, value: verdict.event });
    }
    const lastOffset = batch.messages[batch.messages.length - 1]!.offset;
    const nextOffset = (BigInt(lastOffset) + 1n).toString();
    const safe = await handler.onBatch(accepted, {
      topic,
      partition: batch.partition,
      nextOffset,
      reject: (r, reason, message) => rejected.push({ ...r, topic: this.names.physical(r.topic), value: raw.get(r.offset) ?? null, reason, message }),
    });
    // Rejected records have no effects, so dead-lettering after the effects and before the commit
    // is enough: a crash in between re-judges and re-sends them. Those a state rebuild re-reads were
    // dead-lettered before the loss.
    const until = this.keeper?.replayUntil(batch.partition);
    if (until) rejected.splice(0, rejected.length, ...rejected.filter((r) => BigInt(r.offset) >= (until.get(r.topic) ?? 0n)));
    const owned = rejected.filter((r) => this.opts.dlqTopics?.includes(this.names.logical(r.topic)) ?? true);
    await sendToDlq(producer, owned, this.names.physical(TOPICS.dlq));
    for (const r of rejected) metrics.events.inc({ topic: this.names.logical(r.topic), result: 'rejected' });
    for (const r of owned) metrics.dlq.inc({ topic: this.names.logical(r.topic), reason: r.reason });
    // A lost state found at the commit rewinds the consumer: this batch is re-read, not resolved.
    if (!(await this.commit(safe ? this.toKafka(safe) : [{ topic: batch.topic, partition: batch.partition, offset: nextOffset }]))) return;
    resolveOffset(lastOffset);
    this.drain?.handled(batch.topic, batch.partition, nextOffset);
    metrics.consumerLag.set({ topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    await heartbeat();
    end();
  }

  /**
   * Commits `offsets` (through the state guard, with their epoch as metadata). False when the guard
   * found a partition's state lost: its rebuild started and the consumer was rewound.
   */
  private async commit(offsets: TopicPartitionOffset[]): Promise<boolean> {
    if (offsets.length === 0) return true;
    const { commit, lost } = this.keeper ? await this.keeper.admit(offsets) : { commit: offsets, lost: [] };
    if (commit.length > 0) await this.consumer!.commitOffsets(commit);
    for (const o of commit) this.restartAt.set(tpKey(o.topic, o.partition), o.offset);
    if (lost.length === 0) return true;
    await this.rebuild(lost);
    return false;
  }

  /** Stops fetching, lets the running batch finish and commit, then disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.ticker) clearInterval(this.ticker);
    this.joined = false;
    this.opts.metrics.assignment.reset();
    if (this.consumer) {
      await this.consumer.stop();
      await this.chain;
      await this.consumer.disconnect();
    }
    await this.admin?.disconnect();
  }
}
