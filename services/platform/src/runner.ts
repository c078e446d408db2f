import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { DrainWatch, kafkaDrainSource, type TopicPartition } from './drain.ts';
import { CoPartitionAssigner } from './kafka.ts';
import { sendToDlq, type Rejected } from './dlq.ts';
import type { Logger } from './logger.ts';
import type { PipelineMetrics } from './metrics.ts';
import { UndecodableError, type Serde } from './serde.ts';

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
  /** The group assigned partitions anew: drop in-memory state of partitions this member lost. */
  onAssign?(assignment: Record<string, number[]>): void;
}

/** kafkajs's own default; a member killed without leaving holds its partitions this long. */
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;

export interface RunnerOptions {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
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
}

/**
 * The batch consumer loop: decode → validate (rejects to the DLQ) → effects → commit. Effects first,
 * offsets last, so a crash re-reads exactly what was not committed; effects are idempotent.
 * Batches and ticks run one at a time so commits never race.
 */
export class ConsumerRunner {
  private consumer: Consumer | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private ticker: NodeJS.Timeout | null = null;
  private joined = false;
  private drain: DrainWatch | null = null;
  private admin: ReturnType<Kafka['admin']> | null = null;

  constructor(private readonly opts: RunnerOptions) {}

  get isJoined(): boolean {
    return this.joined;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async start(): Promise<void> {
    const { kafka, groupId, topics, handler, log } = this.opts;
    const sessionTimeout = this.opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    const consumer = kafka.consumer({
      groupId,
      partitionAssigners: [CoPartitionAssigner],
      allowAutoTopicCreation: false,
      sessionTimeout,
      heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 3)),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      log.info({ assignment: e.payload.memberAssignment }, 'joined consumer group');
      this.drain?.assign(e.payload.memberAssignment);
      handler.onAssign?.(e.payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.joined = false;
      log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
    });
    if (handler.onTick && this.opts.idleAfterMs !== undefined) {
      this.admin = kafka.admin();
      await this.admin.connect();
      this.drain = new DrainWatch(kafkaDrainSource(this.admin, groupId, this.opts.fromBeginning ?? true), this.opts.idleAfterMs);
    }
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: this.opts.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) =>
        this.serial(() => this.processBatch(payload)).catch((err: Error) => {
          // kafkajs retries the batch from its last resolved offset; effects are idempotent.
          log.warn({ err, topic: payload.batch.topic, partition: payload.batch.partition }, 'batch failed; it will be retried');
          throw err;
        }),
    });
    if (handler.onTick) {
      this.ticker = setInterval(() => {
        void this.serial(async () => {
          const now = Date.now();
          const idle = this.drain === null ? [] : await this.drain.idle(now);
          await this.commit(await handler.onTick!(now, idle));
        }).catch((err: Error) =>
          log.error({ err }, 'tick failed'),
        );
      }, this.opts.tickMs ?? 1000);
    }
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { serde, validate, metrics, producer, handler } = this.opts;
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
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
        value = await serde.decode(batch.topic, m.value);
      } catch (err) {
        if (!(err instanceof UndecodableError)) throw err;
        reject('undecodable', err.message);
        continue;
      }
      const verdict = validate ? validate(batch.topic, value) : { ok: true as const, event: value };
      if (!verdict.ok) {
        reject(verdict.reason, verdict.message);
        continue;
      }
      accepted.push({ topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, value: verdict.event });
    }
    const lastOffset = batch.messages[batch.messages.length - 1]!.offset;
    const nextOffset = (BigInt(lastOffset) + 1n).toString();
    const safe = await handler.onBatch(accepted, {
      topic: batch.topic,
      partition: batch.partition,
      nextOffset,
      reject: (r, reason, message) => rejected.push({ ...r, value: raw.get(r.offset) ?? null, reason, message }),
    });
    // Rejected records have no effects, so dead-lettering after the effects and before the commit
    // is enough: a crash in between re-judges and re-sends them.
    const owned = rejected.filter((r) => this.opts.dlqTopics?.includes(r.topic) ?? true);
    await sendToDlq(producer, owned);
    for (const r of rejected) metrics.events.inc({ topic: r.topic, result: 'rejected' });
    for (const r of owned) metrics.dlq.inc({ topic: r.topic, reason: r.reason });
    await this.commit(safe ?? [{ topic: batch.topic, partition: batch.partition, offset: nextOffset }]);
    resolveOffset(lastOffset);
    this.drain?.handled(batch.topic, batch.partition, nextOffset);
    metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    await heartbeat();
    end();
  }

  private async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    if (offsets.length > 0) await this.consumer!.commitOffsets(offsets);
  }

  /** Stops fetching, lets the running batch finish and commit, then disconnects. */
  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.joined = false;
    if (this.consumer) {
      await this.consumer.stop();
      await this.chain;
      await this.consumer.disconnect();
    }
    await this.admin?.disconnect();
  }
}
