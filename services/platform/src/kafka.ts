import { AssignerProtocol, Kafka, logLevel, type KafkaMessage, type PartitionAssigner, type Producer, type SASLOptions } from 'kafkajs';
import { TOPICS } from '@cxg/engine';
import type { Logger } from './logger.ts';
import type { Endpoints } from './env.ts';
import type { TopicPartitionOffset } from './runner.ts';
import type { TopicNames } from './topic-names.ts';

// kafkajs warns on every producer about its v2 partitioner change; we key by customer_id and accept the default.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/** kafkajs logs routed into pino, so every line is JSON with the worker's name; `seen` sees every entry first. */
function kafkaLogCreator(log: Logger, seen: (entry: Record<string, unknown>) => void = () => undefined) {
  return () =>
    ({ level, log: entry }: { level: logLevel; log: { message: string } & Record<string, unknown> }) => {
      seen(entry);
      const { message, ...rest } = entry;
      if (level === logLevel.ERROR) log.error(rest, message);
      else if (level === logLevel.WARN) log.warn(rest, message);
      else if (level === logLevel.INFO) log.debug(rest, message);
    };
}

/** kafkajs's ssl option: off, the system's CAs, or the CA of KAFKA_SSL_CA_FILE. */
export function kafkaSslOption(endpoints: Pick<Endpoints, 'kafkaSsl' | 'kafkaSslCa'>): boolean | { ca: string[] } {
  if (!endpoints.kafkaSsl) return false;
  return endpoints.kafkaSslCa ? { ca: [endpoints.kafkaSslCa] } : true;
}

/** A broker refused who we are or what we asked: the message names the user, the broker and the topic or group. */
export class KafkaAccessError extends Error {
  override readonly name = 'KafkaAccessError';

  constructor(
    message: string,
    /** the Kafka error type, e.g. TOPIC_AUTHORIZATION_FAILED, or SASL_AUTHENTICATION_FAILED, TLS */
    readonly type: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What a call was about, for the message: the verb and the topics or group it named. */
interface KafkaCall {
  /** `write to`, `read`, `describe` */
  verb: string;
  topics: string[];
  groupId?: string;
}

/** The error and whatever kafkajs wrapped inside it (retries exceeded, non-retriable, cause). */
function errorChain(err: unknown): Array<Error & { type?: string }> {
  const out: Array<Error & { type?: string }> = [];
  let e: unknown = err;
  while (e instanceof Error && out.length < 8 && !out.includes(e)) {
    out.push(e);
    const next = (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
    e = next;
  }
  return out;
}

function topicsOf(method: string, args: unknown[]): string[] {
  const a = args[0] as { topic?: unknown; topics?: unknown; topicMessages?: Array<{ topic?: unknown }> } | string | undefined;
  if (typeof a === 'string') return [a];
  if (!a || typeof a !== 'object') return [];
  const out: unknown[] = [];
  if (a.topic !== undefined) out.push(a.topic);
  if (Array.isArray(a.topics)) out.push(...a.topics.map((t) => (typeof t === 'object' && t !== null && 'topic' in t ? (t as { topic: unknown }).topic : t)));
  if (Array.isArray(a.topicMessages)) out.push(...a.topicMessages.map((t) => t.topic));
  void method;
  return out.map(String);
}

/** kafkajs's messages of the authorization errors: a retry wrapper keeps the message but not the type. */
const AUTHORIZATION_MESSAGES: ReadonlyArray<readonly [string, string]> = [
  ['TOPIC_AUTHORIZATION_FAILED', 'Not authorized to access topics: [Topic authorization failed]'],
  ['GROUP_AUTHORIZATION_FAILED', 'Not authorized to access group: Group authorization failed'],
  ['CLUSTER_AUTHORIZATION_FAILED', 'Cluster authorization failed'],
  ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'Transactional Id authorization failed'],
];

const GROUP_REFUSED = AUTHORIZATION_MESSAGES[1]![1];

const VERBS: Record<string, string> = { send: 'write to', sendBatch: 'write to', subscribe: 'read', run: 'read' };

/**
 * Turns kafkajs's authentication, authorization and TLS failures into one clear line; any other
 * error comes back as it was.
 *   Kafka SASL authentication failed for user U at host:port: <broker's reason>
 *   Kafka: user U is not authorized to write to topic T at host:port (TOPIC_AUTHORIZATION_FAILED)
 *   Kafka: user U is not authorized to use consumer group G at host:port (GROUP_AUTHORIZATION_FAILED)
 *   Kafka TLS connection to host:port failed: <reason> (KAFKA_SSL_CA_FILE names the CA that signed the broker's certificate)
 */
export function explainKafkaError(err: unknown, endpoints: Pick<Endpoints, 'kafkaBrokers' | 'kafkaSasl' | 'kafkaSsl'>, call: Partial<KafkaCall> = {}): unknown {
  if (err instanceof KafkaAccessError) return err;
  const chain = errorChain(err);
  if (chain.length === 0) return err;
  const at = endpoints.kafkaBrokers.join(',');
  const user = endpoints.kafkaSasl ? `user ${endpoints.kafkaSasl.username}` : 'an unauthenticated client';
  const sasl = chain.find((e) => e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED' || e.message === 'SASL Authentication failed' || e.type === 'ILLEGAL_SASL_STATE' || e.type === 'UNSUPPORTED_SASL_MECHANISM');
  if (sasl) {
    return new KafkaAccessError(`Kafka SASL authentication failed for ${user} at ${at}: ${sasl.message}`, 'SASL_AUTHENTICATION_FAILED', { cause: err });
  }
  const typeOf = (e: Error & { type?: string }): string | undefined =>
    typeof e.type === 'string' && e.type.endsWith('_AUTHORIZATION_FAILED') ? e.type : AUTHORIZATION_MESSAGES.find(([, m]) => e.message === m)?.[0];
  const typed = chain.find((e) => typeOf(e) !== undefined);
  if (typed) {
    const type = typeOf(typed)!;
    const topics = call.topics?.length ? call.topics.join(', ') : 'the requested topics';
    const what =
      type === 'TOPIC_AUTHORIZATION_FAILED'
        ? `${call.verb ?? 'access'} topic ${topics}`
        : type === 'GROUP_AUTHORIZATION_FAILED'
          ? `use consumer group ${call.groupId ?? '(unknown)'}`
          : type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
            ? 'use that transactional id'
            : 'do that on the cluster';
    return new KafkaAccessError(`Kafka: ${user} is not authorized to ${what} at ${at} (${type}: the broker's ACLs do not allow it)`, type, { cause: err });
  }
  const tls = chain.find((e) => /certificate|self[- ]signed|SSL|TLS|EPROTO|wrong version number/i.test(e.message));
  if (tls && endpoints.kafkaSsl) {
    return new KafkaAccessError(`Kafka TLS connection to ${at} failed: ${tls.message} (KAFKA_SSL_CA_FILE names the CA that signed the broker's certificate)`, 'TLS', { cause: err });
  }
  return err;
}

/** Every method of a kafkajs client that returns a promise rejects with explainKafkaError's message. */
function guard<T extends object>(client: T, explain: (err: unknown, call: Partial<KafkaCall>) => unknown, base: Partial<KafkaCall>): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'on' || prop === 'logger') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!result || typeof (result as Promise<unknown>).then !== 'function') return result;
        const call = { ...base, verb: VERBS[prop] ?? base.verb ?? 'describe', topics: topicsOf(prop, args) };
        return (result as Promise<unknown>).then(undefined, (e: unknown) => {
          throw explain(e, call);
        });
      };
    },
  });
}

/**
 * kafkajs for the endpoints: SASL and TLS as configured, logs into pino, and producers, consumers
 * and admins whose authentication and authorization failures say who was refused what, where
 * (explainKafkaError). A consumer that crashes on such a failure carries that message too.
 */
export function createKafka(endpoints: Endpoints, clientId: string, log: Logger): Kafka {
  // kafkajs turns a FindCoordinator refused by the ACLs into "Failed to find group coordinator"; only
  // its error log of the response says why. Remember when a broker last refused a group.
  let groupRefusedAt = -Infinity;
  const noteRefusal = (entry: Record<string, unknown>): void => {
    if (entry.error === GROUP_REFUSED) groupRefusedAt = Date.now();
  };
  const explain = (err: unknown, call: Partial<KafkaCall>): unknown => {
    const e = err as Error | undefined;
    if (e?.name === 'KafkaJSGroupCoordinatorNotFound' && Date.now() - groupRefusedAt < 60_000) {
      return explainKafkaError(Object.assign(new Error(GROUP_REFUSED, { cause: err }), { type: 'GROUP_AUTHORIZATION_FAILED' }), endpoints, call);
    }
    return explainKafkaError(err, endpoints, call);
  };
  const kafka = new Kafka({
    clientId,
    brokers: endpoints.kafkaBrokers,
    ssl: kafkaSslOption(endpoints),
    sasl: (endpoints.kafkaSasl ?? undefined) as SASLOptions | undefined,
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(log, noteRefusal),
    retry: { retries: 8 },
  });
  const producer = kafka.producer.bind(kafka);
  const consumer = kafka.consumer.bind(kafka);
  const admin = kafka.admin.bind(kafka);
  kafka.producer = (config) => guard(producer(config), explain, { verb: 'write to' });
  kafka.admin = (config) => guard(admin(config), explain, { verb: 'describe' });
  kafka.consumer = (config) => {
    const c = consumer(config);
    // The crash event's error is the one the consumer's owner sees: give it the clear message.
    c.on(c.events.CRASH, (event) => {
      const error = (event.payload as { error?: Error }).error;
      const clear = explain(error, { verb: 'read', groupId: config.groupId });
      if (error && clear instanceof KafkaAccessError) {
        error.message = clear.message;
        (error as { type?: string }).type ??= clear.type;
      }
    });
    return guard(c, explain, { verb: 'read', groupId: config.groupId });
  };
  return kafka;
}

/**
 * What each program may do on a secured cluster: its SASL user, the topics it reads and writes and
 * the consumer groups it may use (a prefix: the default group and any group named after it, e.g.
 * `cx-detector-blue`). `cxg stack up` turns this into SCRAM users and ACLs on its SASL_SSL listener;
 * on another cluster it is the list of ACLs to ask for (docs/security.md).
 */
export const KAFKA_ACCESS = {
  detector: { user: 'cx-detector', groupPrefix: 'cx-detector', read: [TOPICS.contacts, TOPICS.web], write: [TOPICS.signals, TOPICS.dlq] },
  kpi: { user: 'cx-kpi', groupPrefix: 'cx-kpi', read: [TOPICS.contacts, TOPICS.web, TOPICS.signals], write: [TOPICS.alerts] },
  accruals: { user: 'cx-accruals', groupPrefix: 'cx-accruals', read: [TOPICS.contacts, TOPICS.web, TOPICS.customers, TOPICS.signals], write: [TOPICS.dlq] },
  simulator: { user: 'cx-simulator', groupPrefix: null, read: [], write: [TOPICS.contacts, TOPICS.web, TOPICS.customers] },
} as const satisfies Record<string, { user: string; groupPrefix: string | null; read: readonly string[]; write: readonly string[] }>;

export type KafkaAccessRole = keyof typeof KAFKA_ACCESS;

/** KAFKA_ACCESS with the Kafka topic names of a deployment (CX_TOPIC_PREFIX, CX_TOPIC_*): the ACLs to ask for there. */
export function kafkaAccessOf(names: TopicNames): Record<KafkaAccessRole, { user: string; groupPrefix: string | null; read: string[]; write: string[] }> {
  return Object.fromEntries(
    Object.entries(KAFKA_ACCESS).map(([role, a]) => [role, { ...a, read: a.read.map((t) => names.physical(t)), write: a.write.map((t) => names.physical(t)) }]),
  ) as Record<KafkaAccessRole, { user: string; groupPrefix: string | null; read: string[]; write: string[] }>;
}

/** Idempotent producer: a retried send cannot duplicate a record in the log. */
export async function createProducer(kafka: Kafka): Promise<Producer> {
  // An idempotent producer must not give up on a send it may already have written; kafkajs still
  // bounds the total time by its maxRetryTime.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: { retries: Number.MAX_SAFE_INTEGER },
  });
  await producer.connect();
  return producer;
}

/**
 * Gives partition i of every subscribed topic to the same member, like Kafka Streams does for
 * co-partitioned inputs: a customer's contacts and web journeys then meet in one process and one
 * reorder buffer. Members are sorted by id so every member computes the same plan.
 */
export const CoPartitionAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'CxCoPartitionAssigner',
  version: 1,
  async assign({ members, topics }) {
    const memberIds = members.map((m) => m.memberId).sort();
    const plan = new Map<string, Record<string, number[]>>(memberIds.map((id) => [id, {}]));
    for (const topic of topics) {
      for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
        const member = memberIds[partitionId % memberIds.length]!;
        const assignment = plan.get(member)!;
        (assignment[topic] ??= []).push(partitionId);
      }
    }
    return memberIds.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: plan.get(memberId)!, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return {
      name: 'CxCoPartitionAssigner',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configEntries?: Array<{ name: string; value: string }>;
}

/**
 * Creates the missing topics; existing topics are left alone, but a partition count that differs
 * from the spec is an error because co-partitioning depends on it.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<{ created: string[]; existing: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: false, topics: missing.map((s) => ({ ...s, replicationFactor: -1 })) });
      // kafkajs's own wait for leaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a broker that
      // has just started answers for a topic it created a moment ago: wait here instead.
      await waitForLeaders(admin, missing.map((s) => s.topic));
    }
    const present = specs.filter((s) => existing.has(s.topic));
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
      for (const t of meta.topics) {
        const want = specs.find((s) => s.topic === t.name)!.numPartitions;
        if (t.partitions.length !== want) {
          throw new Error(`topic ${t.name} has ${t.partitions.length} partitions, expected ${want}: input topics must be co-partitioned (set CX_PARTITIONS to match, or recreate the topic)`);
        }
      }
    }
    return { created: missing.map((s) => s.topic), existing: present.map((s) => s.topic) };
  } finally {
    await admin.disconnect();
  }
}

/** Until every partition of `topics` has a leader (30 s at most). */
async function waitForLeaders(admin: ReturnType<Kafka['admin']>, topics: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await admin
      .fetchTopicMetadata({ topics })
      .then((m) => m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
      .catch(() => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leader 30 s after they were created`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The log end (next offset to be written) of every partition of `topics`, as of now. */
export async function logEnds(kafka: Kafka, topics: readonly string[]): Promise<TopicPartitionOffset[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out: TopicPartitionOffset[] = [];
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) out.push({ topic, partition: p.partition, offset: p.high });
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Commits `positions` as a consumer group's offsets (the group must have no active member). */
export async function setGroupOffsets(kafka: Kafka, groupId: string, positions: readonly TopicPartitionOffset[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of new Set(positions.map((p) => p.topic))) {
      const partitions = positions.filter((p) => p.topic === topic).map(({ partition, offset }) => ({ partition, offset }));
      await admin.setOffsets({ groupId, topic, partitions });
    }
  } finally {
    await admin.disconnect();
  }
}

/** How many records of `targets` the group has not committed yet (0: it is at or past every target). */
export async function uncommitted(kafka: Kafka, groupId: string, targets: readonly TopicPartitionOffset[]): Promise<bigint> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = [...new Set(targets.map((t) => t.topic))];
    const committed = new Map<string, bigint>();
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
      for (const p of partitions) committed.set(`${topic}:${p.partition}`, BigInt(p.offset));
    }
    let behind = 0n;
    for (const t of targets) {
      const c = committed.get(`${t.topic}:${t.partition}`) ?? -1n;
      const gap = BigInt(t.offset) - (c < 0n ? 0n : c);
      if (gap > 0n) behind += gap;
    }
    return behind;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Commits a consumer group's offsets at the current log end of `topics`, so a new group sees only
 * what is produced next (tests and benchmarks share long-lived topics whose older event times would
 * otherwise make their events late).
 */
export async function groupAtLogEnd(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<void> {
  await setGroupOffsets(kafka, groupId, await logEnds(kafka, topics));
}

/** The topic does not exist on the cluster (readToEnd never creates one). */
export class UnknownTopicError extends Error {
  override readonly name = 'UnknownTopicError';

  constructor(readonly topic: string) {
    super(`topic ${topic} does not exist`);
  }
}

export interface ReadToEndOptions {
  /** The throwaway consumer group's id; it never commits, and is deleted once the read is over. */
  groupId: string;
  /**
   * Start each partition at its first record with a timestamp at or after this (epoch ms, looked up
   * in the broker's time index) instead of at its first offset. With LogAppendTime every later
   * record is at least as recent; with CreateTime the caller still filters.
   */
  sinceMs?: number;
  /** Records handed to `each` so far, of the total between the starts and the log ends. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Reads every record of `topic` that is there now: each partition from its first offset (or
 * `from`'s) to its log end as of the call, handed to `each` in offset order per partition; returns
 * once the last one was. Read-only: kafkajs has no manual assignment, so it reads in a consumer
 * group of its own that never commits an offset and is deleted after. Throws UnknownTopicError for
 * a missing topic.
 */
export async function readToEnd(kafka: Kafka, topic: string, each: (partition: number, message: KafkaMessage) => void | Promise<void>, opts: ReadToEndOptions): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const spans = new Map<number, { start: bigint; end: bigint }>();
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new UnknownTopicError(topic);
    const byTime = opts.sinceMs === undefined ? [] : await admin.fetchTopicOffsetsByTimestamp(topic, opts.sinceMs);
    for (const p of await admin.fetchTopicOffsets(topic)) {
      const low = BigInt(p.low);
      const high = BigInt(p.high);
      const found = byTime.find((b) => b.partition === p.partition)?.offset;
      // -1: no record that recent on this partition
      const from = found === undefined ? low : found === '-1' ? high : BigInt(found);
      const start = from > low ? from : low;
      if (start < high) spans.set(p.partition, { start, end: high });
    }
  } finally {
    await admin.disconnect();
  }
  const total = [...spans.values()].reduce((s, x) => s + Number(x.end - x.start), 0);
  let done = 0;
  opts.onProgress?.(0, total);
  if (spans.size === 0) return;
  const remaining = new Set(spans.keys());
  const consumer = kafka.consumer({ groupId: opts.groupId, allowAutoTopicCreation: false });
  let finish!: (err?: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => (finish = (err) => (err === undefined ? resolve() : reject(err as Error))));
  // A batch that compaction or control records emptied reaches no eachBatch, only this event.
  const reached = (partition: number, lastOffset: string): void => {
    const span = spans.get(partition);
    if (span && BigInt(lastOffset) + 1n >= span.end && remaining.delete(partition) && remaining.size === 0) finish();
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => reached(e.payload.partition, e.payload.lastOffset));
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) finish(e.payload.error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const span = spans.get(batch.partition);
        if (!span || !remaining.has(batch.partition)) return;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          // before the start, or delivered again after the seek below: handed over once only
          if (offset < span.start) continue;
          if (offset >= span.end) break;
          span.start = offset + 1n;
          await each(batch.partition, m);
          opts.onProgress?.(++done, total);
        }
      },
    });
    if (opts.sinceMs !== undefined) for (const [partition, { start }] of spans) consumer.seek({ topic, partition, offset: start.toString() });
    await finished;
  } finally {
    await consumer.disconnect();
    await deleteGroupQuietly(kafka, opts.groupId);
  }
}

/**
 * Removes an empty group that committed nothing, best effort: the broker would drop it by itself
 * at its next clean-up, and a user without DELETE on the group keeps it until then.
 */
async function deleteGroupQuietly(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // left for the broker's clean-up
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
