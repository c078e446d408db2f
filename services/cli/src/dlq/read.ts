// Reading cx.dlq.v1 and cx.dlq-replayed.v1 for `cxg dlq list` and `cxg dlq replay`: read-only,
// from the beginning (or --since) to the log end as of the start, in a consumer group that never commits.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { AVRO_TOPICS, TOPICS } from '@cxg/engine';
import { readDeadLetter, readToEnd, UndecodableError, UnknownTopicError, type DeadLetter, type Serde, type TopicNames } from '@cxg/platform';
import { CliError } from '../errors.ts';
import { stepProgress } from '../replay/progress.ts';

/** Where `cxg dlq replay` sent a DLQ record, kept (compacted) in cx.dlq-replayed.v1 under markerKey. */
export interface ReplayMarker {
  dlq_partition: number;
  dlq_offset: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  reason: string | null;
  event_id: string;
  sent_to: { topic: string; partition: number; offset: string };
  replayed_at: string;
}

export const markerKey = (d: Pick<DeadLetter, 'dlqPartition' | 'dlqOffset'>): string => `${d.dlqPartition}/${d.dlqOffset}`;

/** The source record a DLQ record copies (a crash may dead-letter one record twice). */
export const sourceKey = (topic: string, partition: number, offset: string): string => `${topic}/${partition}/${offset}`;

/** The bytes of a value that could not be decoded: UTF-8 text when they are printable text, always base64. */
export interface RawBytes {
  bytes: number;
  text: string | null;
  base64: string;
}

/** One DLQ record as `cxg dlq list --json` prints it. */
export interface DlqEntry {
  dlq_partition: number;
  dlq_offset: string;
  dead_lettered_at: string;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: string | null;
  reason: string | null;
  message: string | null;
  key: string | null;
  /** The original value decoded with its writer schema from the registry; null when it cannot be. */
  value: unknown;
  /** The original bytes when `value` is null (null for a tombstone and for a decoded value). */
  raw: RawBytes | null;
  decode_error: string | null;
  replayed: { at: string; sent_to: ReplayMarker['sent_to'] } | null;
}

export interface ReadDlq {
  /** Sorted by dead-lettered time, then DLQ partition and offset. */
  entries: Array<{ letter: DeadLetter; entry: DlqEntry }>;
  /** Null when cx.dlq-replayed.v1 does not exist (nothing was ever replayed, or `cxg topics init` predates it). */
  markers: Markers | null;
}

export interface Markers {
  byKey: Map<string, ReplayMarker>;
  bySource: Map<string, ReplayMarker>;
}

export interface Filter {
  reason?: string;
  sinceMs?: number;
}

// Printable text: no control characters other than tab, newline, carriage return.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/;

export function rawBytes(buf: Buffer): RawBytes {
  const text = buf.toString('utf8');
  return { bytes: buf.length, text: CONTROL.test(text) || !Buffer.from(text, 'utf8').equals(buf) ? null : text, base64: buf.toString('base64') };
}

/** A key as text when it is printable UTF-8, else `base64:` and its base64. */
export function keyText(key: Buffer | null): string | null {
  if (key === null) return null;
  const raw = rawBytes(key);
  return raw.text ?? `base64:${raw.base64}`;
}

/** The DLQ record's marker, if it was replayed: its own, or one of another DLQ copy of the same source record. */
export function markerOf(markers: Markers | null, d: DeadLetter): ReplayMarker | null {
  if (!markers || d.sourceTopic === null || d.sourcePartition === null || d.sourceOffset === null) return null;
  const own = markers.byKey.get(markerKey(d));
  // a marker of another record at this position (the DLQ was recreated since) does not count
  if (own && own.source_topic === d.sourceTopic && own.source_partition === d.sourcePartition && own.source_offset === d.sourceOffset) return own;
  return markers.bySource.get(sourceKey(d.sourceTopic, d.sourcePartition, d.sourceOffset)) ?? null;
}

/** Errors of the Kafka client and of the registry are exit 1, named; a missing topic exit 2. */
export async function kafkaStep<T>(what: string, brokers: readonly string[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof UnknownTopicError) throw new CliError(`${err.message} on ${brokers.join(',')}: run cxg topics init`, 2, { cause: err });
    throw new CliError(`${what} (Kafka ${brokers.join(',')}): ${(err as Error).message}`, 1, { cause: err });
  }
}

/** Every marker in cx.dlq-replayed.v1 (its Kafka topic under `names`); null when the topic does not exist. */
export async function readMarkers(kafka: Kafka, names: TopicNames): Promise<Markers | null> {
  const byKey = new Map<string, ReplayMarker>();
  try {
    await readToEnd(
      kafka,
      names.physical(TOPICS.dlqReplayed),
      (_partition, m) => {
        const key = m.key?.toString();
        if (key === undefined) return;
        // compacted: a later record of a key replaces an earlier one; a tombstone removes it
        if (m.value === null) byKey.delete(key);
        else byKey.set(key, JSON.parse(m.value.toString()) as ReplayMarker);
      },
      { groupId: `cxg-dlq-${randomUUID()}` },
    );
  } catch (err) {
    if (err instanceof UnknownTopicError) return null;
    throw err;
  }
  const bySource = new Map<string, ReplayMarker>();
  for (const m of byKey.values()) bySource.set(sourceKey(m.source_topic, m.source_partition, m.source_offset), m);
  return { byKey, bySource };
}

async function decodeValue(serde: Serde, registryUrl: string, d: DeadLetter): Promise<Pick<DlqEntry, 'value' | 'raw' | 'decode_error'>> {
  if (d.value === null) return { value: null, raw: null, decode_error: 'null value (a tombstone)' };
  // The header names the Kafka topic; its schema is that of its logical topic.
  const topic = d.sourceTopic === null ? null : serde.names.logical(d.sourceTopic);
  if (topic === null || !(AVRO_TOPICS as readonly string[]).includes(topic)) {
    return { value: null, raw: rawBytes(d.value), decode_error: d.sourceTopic === null ? 'no cx-source-topic header' : `${d.sourceTopic} has no Avro schema` };
  }
  try {
    return { value: await serde.decode(topic, d.value), raw: null, decode_error: null };
  } catch (err) {
    if (err instanceof UndecodableError) return { value: null, raw: rawBytes(d.value), decode_error: err.message };
    throw new CliError(`schema registry ${registryUrl}: ${(err as Error).message}`, 1, { cause: err });
  }
}

/**
 * The DLQ records that pass `filter`, decoded, with the markers of what was replayed. `--since`
 * is the broker's append time of the DLQ record: when it was dead-lettered.
 */
export async function readDlq(kafka: Kafka, serde: Serde, registryUrl: string, filter: Filter): Promise<ReadDlq> {
  const markers = await readMarkers(kafka, serde.names);
  const dlqTopic = serde.names.physical(TOPICS.dlq);
  const letters: DeadLetter[] = [];
  const bar = stepProgress('dlq');
  try {
    await readToEnd(
      kafka,
      dlqTopic,
      (partition, m) => {
        const d = readDeadLetter(partition, m);
        if (filter.reason !== undefined && d.reason !== filter.reason) return;
        if (filter.sinceMs !== undefined && d.timestampMs < filter.sinceMs) return;
        letters.push(d);
      },
      {
        groupId: `cxg-dlq-${randomUUID()}`,
        ...(filter.sinceMs === undefined ? {} : { sinceMs: filter.sinceMs }),
        onProgress: (done, total) => bar.update(done, total, dlqTopic),
      },
    );
  } finally {
    bar.stop();
  }
  letters.sort((a, b) => a.timestampMs - b.timestampMs || a.dlqPartition - b.dlqPartition || Number(BigInt(a.dlqOffset) - BigInt(b.dlqOffset)));
  const entries: ReadDlq['entries'] = [];
  for (const d of letters) {
    const marker = markerOf(markers, d);
    entries.push({
      letter: d,
      entry: {
        dlq_partition: d.dlqPartition,
        dlq_offset: d.dlqOffset,
        dead_lettered_at: new Date(d.timestampMs).toISOString(),
        source_topic: d.sourceTopic,
        source_partition: d.sourcePartition,
        source_offset: d.sourceOffset,
        reason: d.reason,
        message: d.message,
        key: keyText(d.key),
        ...(await decodeValue(serde, registryUrl, d)),
        replayed: marker ? { at: marker.replayed_at, sent_to: marker.sent_to } : null,
      },
    });
  }
  return { entries, markers };
}
