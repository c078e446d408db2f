import { AssignerProtocol, Kafka, logLevel, type PartitionAssigner, type Producer, type SASLOptions } from 'kafkajs';
import type { Logger } from './logger.ts';
import type { Endpoints } from './env.ts';

// kafkajs warns on every producer about its v2 partitioner change; we key by customer_id and accept the default.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/** kafkajs logs routed into pino, so every line is JSON with the worker's name. */
function kafkaLogCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: { level: logLevel; log: { message: string } & Record<string, unknown> }) => {
      const { message, ...rest } = entry;
      if (level === logLevel.ERROR) log.error(rest, message);
      else if (level === logLevel.WARN) log.warn(rest, message);
      else if (level === logLevel.INFO) log.debug(rest, message);
    };
}

export function createKafka(endpoints: Endpoints, clientId: string, log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers: endpoints.kafkaBrokers,
    ssl: endpoints.kafkaSsl,
    sasl: (endpoints.kafkaSasl ?? undefined) as SASLOptions | undefined,
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(log),
    retry: { retries: 8 },
  });
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
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((s) => ({ ...s, replicationFactor: -1 })) });
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

/**
 * Commits a consumer group's offsets at the current log end of `topics`, so a new group sees only
 * what is produced next (tests and benchmarks share long-lived topics whose older event times would
 * otherwise make their events late).
 */
export async function groupAtLogEnd(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
    }
  } finally {
    await admin.disconnect();
  }
}
