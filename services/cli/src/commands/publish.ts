// `cxg publish`: replay-format NDJSON (docs/replay.md, the reader of `cxg replay`) into the input
// topics through the schema registry, keyed and partitioned like every producer, optionally paced.
import { statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { INPUT_TOPICS, decodeEvent, type InputEvent, type InputTopic } from '@cxg/engine';
import { createKafka, createLogger, createProducer, produceRecords, readEndpoints, readTopicNames, Serde, type OutRecord, type TopicNames } from '@cxg/platform';
import { progressBar, pump, type RecordSink, type SimRecord } from '@cxg/simulator';
import { newTable } from '../color.ts';
import { CliError } from '../errors.ts';
import { readReplayFiles, UnreadableInputError } from '../replay/ndjson.ts';

interface PublishOptions {
  events: string[];
  rate?: number;
  json?: boolean;
}

/** A line that was not sent: where it is and why. */
export interface NotSent {
  file: string;
  /** 1-based physical line of its file. */
  line: number;
  event_id: string | null;
  /** `undecodable` (not a replay line), `unknown_topic`, a decoding reason (`missing_field`, `wrong_type`, `unknown_enum`, `unknown_field`: as `cxg replay` rejects the line), or `unencodable` (the Avro schema refuses it anyway). */
  reason: string;
  message: string;
}

/** What a file holds for the topics: the records to send, in file order, and the lines that cannot be. */
export interface PublishPlan {
  records: OutRecord[];
  /** Per record of `records`: where it came from. */
  origins: Array<{ file: string; line: number }>;
  notSent: NotSent[];
}

/**
 * The Kafka key every producer uses (docs/events.md, "Keys and partitioning"): customer_id, or
 * the session_id of an anonymous journey. Kafka's default partitioner then co-partitions them.
 */
export function keyOf(event: InputEvent): string {
  if ('session_id' in event && event.customer_id === null) return event.session_id;
  return event.customer_id as string;
}

function positive(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number of records per second');
  return n;
}

const eventIdOf = (value: unknown): string | null => {
  const id = typeof value === 'object' && value !== null ? (value as { event_id?: unknown }).event_id : undefined;
  return typeof id === 'string' && id !== '' ? id : null;
};

/**
 * Reads the files with `cxg replay`'s reader (line numbers per file) and turns every line into a
 * record of its input topic as the schema holds it (ISO timestamps to epoch ms, defaults filled:
 * the engine's decoding step). The validation rules are not applied: the workers judge those, as
 * they judge any producer's records (a rejected one goes to the DLQ). `encodable` checks a value
 * against the topic's Avro schema.
 */
export async function planPublish(files: readonly string[], encodable: (topic: InputTopic, value: unknown) => string | null, onBytes: (done: number, total: number) => void = () => {}): Promise<PublishPlan> {
  const plan: PublishPlan = { records: [], origins: [], notSent: [] };
  const sizes = files.map((f) => {
    try {
      return statSync(f).size;
    } catch (err) {
      throw new UnreadableInputError(`${f}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  let before = 0;
  for (const [i, file] of files.entries()) {
    // One file at a time, so that line numbers count from 1 in each.
    const read = await readReplayFiles([file], (done) => onBytes(before + done, total));
    before += sizes[i]!;
    for (const u of read.undecodable) plan.notSent.push({ file, line: u.line, event_id: null, reason: 'undecodable', message: 'not a JSON object with a string "topic" and an object "value"' });
    for (const { line, topic, value } of read.records) {
      const notSent = (reason: string, message: string) => plan.notSent.push({ file, line, event_id: eventIdOf(value), reason, message });
      if (!(INPUT_TOPICS as readonly string[]).includes(topic)) {
        notSent('unknown_topic', `${topic} is not an input topic (${INPUT_TOPICS.join(', ')})`);
        continue;
      }
      const decoded = decodeEvent(topic as InputTopic, value);
      if (!decoded.ok) {
        notSent(decoded.reason, decoded.message);
        continue;
      }
      const problem = encodable(topic as InputTopic, decoded.event);
      if (problem !== null) {
        notSent('unencodable', problem);
        continue;
      }
      plan.records.push({ topic, key: keyOf(decoded.event), value: decoded.event });
      plan.origins.push({ file, line });
    }
  }
  plan.notSent.sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line);
  return plan;
}

/** The schema check of `planPublish`: null when the topic's Avro schema can hold the value, else the paths that it cannot. */
export function avroCheck(serde: Serde): (topic: InputTopic, value: unknown) => string | null {
  return (topic, value) => {
    const paths: string[] = [];
    const ok = serde.reader(topic).isValid(value, { errorHook: (path) => paths.push(path.join('.') || 'record') });
    return ok ? null : `does not match the Avro schema of ${topic} at ${[...new Set(paths)].join(', ')}`;
  };
}

function summary(plan: PublishPlan, names: TopicNames, sent: number, batches: number, aborted: boolean, elapsedMs: number, files: readonly string[]) {
  const counts = new Map<string, number>(INPUT_TOPICS.map((t) => [t, 0]));
  for (const r of plan.records.slice(0, sent)) counts.set(r.topic, (counts.get(r.topic) ?? 0) + 1);
  return {
    files,
    topics: INPUT_TOPICS.map((t) => ({ topic: t, kafka_topic: names.physical(t), records: counts.get(t) ?? 0 })),
    sent,
    batches,
    not_sent: plan.notSent,
    interrupted: aborted,
    elapsed_ms: Math.round(elapsedMs),
  };
}

function render(doc: ReturnType<typeof summary>): string {
  const table = newTable({ head: ['topic', 'Kafka topic', 'records'], style: { head: [], border: [], compact: true } });
  for (const t of doc.topics) table.push([t.topic, t.kafka_topic, t.records]);
  table.push(['total', '', doc.sent]);
  const lines = [table.toString()];
  if (doc.not_sent.length > 0) {
    lines.push(`${doc.not_sent.length} line(s) not sent:`);
    for (const n of doc.not_sent) lines.push(`  ${n.file}:${n.line}: ${n.reason}: ${n.message}${n.event_id ? ` (event_id ${n.event_id})` : ''}`);
  }
  lines.push(`${doc.sent} record(s) in ${doc.batches} batch(es) in ${(doc.elapsed_ms / 1000).toFixed(1)} s${doc.interrupted ? ', interrupted' : ''}`);
  return lines.join('\n');
}

const HELP_AFTER = `
Input: NDJSON files in the format of cxg replay (docs/replay.md), one {"topic", "value"} object per
line (a "key" is ignored), read with the same reader in the order given; timestamps as epoch ms or
ISO-8601 with a zone. Only the input topics cx.contacts.v1, cx.web.v1 and cx.customers.v1 are
sent. Each value is decoded as the schema holds it (ISO timestamps become epoch ms, Avro defaults
are filled) and Avro-encoded with the topic's schema from the registry (SCHEMA_REGISTRY_URL).

Records are keyed like every producer's (customer_id; an anonymous journey by its session_id),
partitioned by Kafka's default partitioner (co-partitioned: docs/events.md, "Keys and
partitioning") and sent in file order with acks=all to the Kafka topics CX_TOPIC_PREFIX and
CX_TOPIC_* name (cxg topics init --help). The validation rules are the workers' to apply: a record
the schema can hold but a rule rejects (csat 6, a timestamp in the future) is sent, and the worker
dead-letters it. A line that cannot be encoded (not JSON, not an input topic, a wrong type, a
missing or unknown field) is not sent; the summary lists it with its file and line (1-based, per
file) and the reason, as cxg replay would reject it.

--rate N caps the records per second (default: as fast as the brokers take them). A progress bar
is drawn on stderr when it is a terminal. Ctrl-C stops after the batch in flight.

--json: one JSON document {files, topics: [{topic, kafka_topic, records}], sent, batches,
not_sent: [{file, line, event_id, reason, message}], interrupted, elapsed_ms}.

Examples:
  cxg publish --events docs/examples/november.ndjson
  CX_TOPIC_PREFIX=stage.cx. cxg publish --events day1.ndjson day2.ndjson --rate 500 --json

Exit codes: 0 done (lines not sent are reported, not fatal); 1 invalid arguments, Kafka or the
schema registry unreachable, a failed send; 2 an unreadable file, an input topic that does not
exist (run cxg topics init), an invalid CX_TOPIC_* variable; 130 interrupted.`;

export function register(program: Command): void {
  program
    .command('publish')
    .description('load replay-format NDJSON files (docs/replay.md) into the input topics through the schema registry, keyed and partitioned like every producer')
    .requiredOption('--events <file...>', 'NDJSON files, one {"topic": ..., "value": {...}} per line, sent in the order given')
    .option('--rate <n>', 'records per second at most (default: as fast as the brokers take them)', positive)
    .option('--json', 'print one JSON document {files, topics, sent, batches, not_sent, interrupted, elapsed_ms} on stdout')
    .addHelpText('after', HELP_AFTER)
    .action(async (opts: PublishOptions) => {
      const endpoints = readEndpoints();
      const names = readTopicNames();
      const serde = Serde.create(endpoints.schemaRegistryUrl, { names });
      const started = performance.now();
      let total = 0;
      let done = 0;
      const readBar = progressBar({ fraction: () => (total === 0 ? 1 : done / total) }, 'read');
      let plan: PublishPlan;
      try {
        plan = await planPublish(opts.events, avroCheck(serde), (at, size) => {
          done = at;
          total = size;
          readBar.tick(4096);
        });
      } finally {
        readBar.stop();
      }
      const kafka = createKafka(endpoints, 'cxg-publish', createLogger('cli', process.env.LOG_LEVEL ?? 'warn'));
      const brokers = endpoints.kafkaBrokers.join(',');
      const wanted = INPUT_TOPICS.filter((t) => plan.records.some((r) => r.topic === t)).map((t) => names.physical(t));
      const existing = await listTopics(kafka, brokers);
      const missing = wanted.filter((t) => !existing.has(t));
      if (missing.length > 0) throw new CliError(`topic ${missing.join(', ')} does not exist on ${brokers}: run cxg topics init`, 2);

      const controller = new AbortController();
      const onSigint = (): void => controller.abort(new Error('interrupted'));
      process.on('SIGINT', onSigint);
      let result: { records: number; batches: number; aborted: boolean } = { records: 0, batches: 0, aborted: false };
      try {
        const producer = await createProducer(kafka);
        try {
          // The simulator's pump: batches, the --rate token bucket, the progress bar and Ctrl-C.
          let sent = 0;
          const sink: RecordSink = {
            send: async (batch) => {
              await produceRecords(producer, serde, batch);
              sent += batch.length;
            },
            close: async () => undefined,
          };
          const records = plan.records as unknown as SimRecord[]; // decoded input events of their topics, as the simulator's are
          result = await pump(records, sink, {
            ...(opts.rate === undefined ? {} : { rate: opts.rate }),
            progress: { fraction: () => (records.length === 0 ? 1 : sent / records.length) },
            signal: controller.signal,
          });
        } finally {
          await producer.disconnect();
        }
      } catch (err) {
        throw new CliError(`publishing to ${brokers}: ${(err as Error).message}`, 1, { cause: err });
      } finally {
        process.off('SIGINT', onSigint);
      }
      const doc = summary(plan, names, result.records, result.batches, result.aborted, performance.now() - started, opts.events);
      process.stdout.write(opts.json ? `${JSON.stringify(doc)}\n` : `${render(doc)}\n`);
      if (result.aborted) throw new CliError('interrupted', 130, { reported: true });
    });
}

async function listTopics(kafka: ReturnType<typeof createKafka>, brokers: string): Promise<Set<string>> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return new Set(await admin.listTopics());
  } catch (err) {
    throw new CliError(`listing the topics (Kafka ${brokers}): ${(err as Error).message}`, 1, { cause: err });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
