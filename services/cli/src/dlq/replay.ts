// `cxg dlq replay`: sends the DLQ records of one reason that are valid now back to their source
// topic-partition (same key, same bytes), once; a marker in cx.dlq-replayed.v1 per DLQ record says so.
import type { Producer } from 'kafkajs';
import { INPUT_TOPICS, TOPICS, validateEvent, type InputTopic } from '@cxg/engine';
import { DEFAULT_TOPIC_NAMES, DLQ_HEADERS, MAX_REQUEST_BYTES, type DeadLetter, type TopicNames } from '@cxg/platform';
import { stepProgress } from '../replay/progress.ts';
import { markerKey, markerOf, sourceKey, type DlqEntry, type ReadDlq, type ReplayMarker } from './read.ts';

type Position = Pick<DlqEntry, 'dlq_partition' | 'dlq_offset' | 'source_topic' | 'source_partition' | 'source_offset' | 'key'>;

export interface Sent extends Position {
  /** The Kafka topic it came from and goes back to (an input topic's, under the names in use). */
  source_topic: string;
  source_partition: number;
  source_offset: string;
  event_id: string;
  /** Other DLQ records of the same source record (a crash dead-lettered it twice): marked, not sent again. */
  copies: Array<{ dlq_partition: number; dlq_offset: string }>;
  /** Null in a dry run. */
  sent_to: ReplayMarker['sent_to'] | null;
}

export interface ReplayPlan {
  send: Array<{ sent: Sent; letters: DeadLetter[] }>;
  alreadyReplayed: Array<Position & { replayed_at: string; sent_to: ReplayMarker['sent_to'] }>;
  /** Still rejected by today's rules and clock, or with nowhere to go: left in the DLQ, unmarked. */
  notSent: Array<Position & { reason_now: string; message_now: string }>;
}

const position = (e: DlqEntry): Position => ({
  dlq_partition: e.dlq_partition,
  dlq_offset: e.dlq_offset,
  source_topic: e.source_topic,
  source_partition: e.source_partition,
  source_offset: e.source_offset,
  key: e.key,
});

/**
 * What a replay would do with the records read (already filtered by reason and time): records
 * replayed before are skipped; the others are judged again with the engine's stateless rules and
 * the wall clock `nowMs`, as a worker would judge them now. A valid one is sent (one source record
 * once, however many DLQ copies it has); duplicate_contact_id, which needs the worker's state, is
 * judged by the worker again. `names` tells which Kafka topics are the input topics.
 */
export function planReplay(read: ReadDlq, nowMs: number, names: TopicNames = DEFAULT_TOPIC_NAMES): ReplayPlan {
  const plan: ReplayPlan = { send: [], alreadyReplayed: [], notSent: [] };
  const planned = new Map<string, { sent: Sent; letters: DeadLetter[] }>();
  for (const { letter, entry } of read.entries) {
    const marker = markerOf(read.markers, letter);
    if (marker) {
      plan.alreadyReplayed.push({ ...position(entry), replayed_at: marker.replayed_at, sent_to: marker.sent_to });
      continue;
    }
    const notSent = (reason_now: string, message_now: string) => plan.notSent.push({ ...position(entry), reason_now, message_now });
    const { sourceTopic: topic, sourcePartition: partition, sourceOffset: offset } = letter;
    if (topic === null || partition === null || offset === null) {
      notSent('no_source', `no ${DLQ_HEADERS.sourceTopic}, ${DLQ_HEADERS.sourcePartition} or ${DLQ_HEADERS.sourceOffset} header`);
      continue;
    }
    const logical = names.logical(topic);
    if (!names.isOurs(topic) || !(INPUT_TOPICS as readonly string[]).includes(logical)) {
      notSent('unknown_topic', `${topic} is not an input topic`);
      continue;
    }
    if (entry.value === null) {
      notSent('undecodable', entry.decode_error ?? 'cannot be decoded');
      continue;
    }
    const judged = validateEvent(logical as InputTopic, entry.value, nowMs);
    if (!judged.ok) {
      notSent(judged.reason, judged.message);
      continue;
    }
    const source = sourceKey(topic, partition, offset);
    const same = planned.get(source);
    if (same) {
      same.sent.copies.push({ dlq_partition: letter.dlqPartition, dlq_offset: letter.dlqOffset });
      same.letters.push(letter);
      continue;
    }
    const item = {
      sent: {
        ...position(entry),
        source_topic: topic,
        source_partition: partition,
        source_offset: offset,
        event_id: (judged.event as { event_id: string }).event_id,
        copies: [],
        sent_to: null,
      },
      letters: [letter],
    };
    planned.set(source, item);
    plan.send.push(item);
  }
  return plan;
}

/**
 * Sends the plan's records, in requests of at most MAX_REQUEST_BYTES: each request's records to
 * their source topic-partition first (acks=all), then one marker per DLQ record of them. A crash
 * between the two re-sends that request's records on the next run: the workers count those as
 * duplicates by event_id and nothing else happens (docs/events.md, "Replaying the DLQ").
 */
export async function executeReplay(producer: Producer, plan: ReplayPlan, nowMs: () => number, names: TopicNames = DEFAULT_TOPIC_NAMES): Promise<void> {
  const bar = stepProgress('dlq replay');
  let done = 0;
  try {
    let chunk: ReplayPlan['send'] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      await sendChunk(producer, chunk, nowMs(), names.physical(TOPICS.dlqReplayed));
      done += chunk.length;
      bar.update(done, plan.send.length, 'sent');
      chunk = [];
      bytes = 0;
    };
    for (const item of plan.send) {
      const letter = item.letters[0]!;
      const size = (letter.value?.length ?? 0) + (letter.key?.length ?? 0) + 1024; // + header and marker
      if (bytes + size > MAX_REQUEST_BYTES) await flush();
      chunk.push(item);
      bytes += size;
    }
    await flush();
  } finally {
    bar.stop();
  }
}

async function sendChunk(producer: Producer, chunk: ReplayPlan['send'], nowMs: number, markerTopic: string): Promise<void> {
  const byTopic = new Map<string, typeof chunk>();
  for (const item of chunk) {
    const list = byTopic.get(item.sent.source_topic) ?? [];
    list.push(item);
    byTopic.set(item.sent.source_topic, list);
  }
  const topicMessages = [...byTopic].map(([topic, items]) => ({
    topic,
    messages: items.map(({ sent, letters }) => ({
      key: letters[0]!.key,
      value: letters[0]!.value,
      partition: sent.source_partition,
      headers: { [DLQ_HEADERS.replayOf]: markerKey(letters[0]!) },
    })),
  }));
  const metadata = await producer.sendBatch({ acks: -1, topicMessages });
  // One request holds one record batch per topic-partition, in the order given: the n-th record of
  // a partition is at its batch's base offset + n.
  const next = new Map(metadata.map((m) => [`${m.topicName}/${m.partition}`, BigInt(m.baseOffset ?? '0')]));
  for (const [topic, items] of byTopic) {
    for (const { sent } of items) {
      const k = `${topic}/${sent.source_partition}`;
      const offset = next.get(k) ?? 0n;
      next.set(k, offset + 1n);
      sent.sent_to = { topic, partition: sent.source_partition, offset: offset.toString() };
    }
  }
  const replayedAt = new Date(nowMs).toISOString();
  await producer.send({
    topic: markerTopic,
    acks: -1,
    messages: chunk.flatMap(({ sent, letters }) =>
      letters.map((d) => {
        const marker: ReplayMarker = {
          dlq_partition: d.dlqPartition,
          dlq_offset: d.dlqOffset,
          source_topic: sent.source_topic,
          source_partition: sent.source_partition,
          source_offset: sent.source_offset,
          reason: d.reason,
          event_id: sent.event_id,
          sent_to: sent.sent_to!,
          replayed_at: replayedAt,
        };
        return { key: markerKey(d), value: JSON.stringify(marker) };
      }),
    ),
  });
}
