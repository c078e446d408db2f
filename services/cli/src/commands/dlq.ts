import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration, REJECT_REASONS, TOPICS } from '@cxg/engine';
import { createKafka, createLogger, createProducer, readEndpoints, readTopicNames, Serde } from '@cxg/platform';
import { newTable } from '../color.ts';
import { kafkaStep, readDlq, type DlqEntry, type Filter } from '../dlq/read.ts';
import { executeReplay, planReplay, type ReplayPlan } from '../dlq/replay.ts';
import { CliError } from '../errors.ts';
import { isoInstant } from './simulate.ts';

interface ListOptions {
  reason?: string;
  since?: number;
  json?: boolean;
}

interface ReplayOptions {
  reason: string;
  since?: number;
  dryRun?: boolean;
  json?: boolean;
}

function reasonArg(raw: string): string {
  if (!(REJECT_REASONS as readonly string[]).includes(raw)) throw new InvalidArgumentError(`expected a reason code: ${REJECT_REASONS.join(', ')}`);
  return raw;
}

/** A subcommand of `cxg dlq` with the filters both take: `--reason` (required for a replay) and `--since`. */
function subcommand(dlq: Command, name: string, description: string, reason: { required: boolean; help: string }): Command {
  const command = dlq.command(name).description(description);
  if (reason.required) command.requiredOption('--reason <code>', reason.help, reasonArg);
  else command.option('--reason <code>', reason.help, reasonArg);
  return command.option('--since <T>', 'only records dead-lettered at or after T: an ISO-8601 date or date-time with a zone, or a duration back from now (30m, 2h, 7d)', (raw) => sinceArg(raw));
}

/** `--since`: an ISO date (UTC midnight) or date-time with a zone, or `<n>ms|s|m|h|d` before now. */
export function sinceArg(raw: string, nowMs = Date.now()): number {
  const back = parseDuration(raw);
  if (back !== null) return nowMs - back;
  try {
    return isoInstant(raw);
  } catch {
    throw new InvalidArgumentError('expected an ISO-8601 date or date-time with a zone (2026-11-03T08:00:00Z), or a duration back from now (30m, 2h, 7d)');
  }
}

const SINCE_AFTER = `--since T compares with the broker's append time of the DLQ record (when it was dead-lettered),
not with the record's event time. T is an ISO-8601 date (UTC midnight) or date-time with a zone
(2026-11-03T08:00:00Z, 2026-11-03T09:00+01:00), or a duration back from now: 30m, 2h, 7d.`;

const READ_AFTER = `Reads cx.dlq.v1 from its beginning (or --since) to its end as of the start, and cx.dlq-replayed.v1
(what was replayed): read-only, in a consumer group of its own (cxg-dlq-<random>) that never commits
and is deleted after. A progress bar is drawn on stderr when it is a terminal. Topic names here
are the defaults: the Kafka topics read are those CX_TOPIC_PREFIX, CX_TOPIC_DLQ and
CX_TOPIC_DLQ_REPLAYED name (cxg topics init --help), and source topics are Kafka topic names.`;

function connect() {
  const endpoints = readEndpoints();
  const names = readTopicNames();
  const kafka = createKafka(endpoints, 'cxg-dlq', createLogger('cli', process.env.LOG_LEVEL ?? 'warn'));
  return { endpoints, names, kafka, serde: Serde.create(endpoints.schemaRegistryUrl, { names }) };
}

async function read(filter: Filter) {
  const { endpoints, names, kafka, serde } = connect();
  const result = await kafkaStep('reading the DLQ', endpoints.kafkaBrokers, () => readDlq(kafka, serde, endpoints.schemaRegistryUrl, filter));
  return { endpoints, names, kafka, result };
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const source = (e: Pick<DlqEntry, 'source_topic' | 'source_partition' | 'source_offset'>): string =>
  e.source_topic === null ? '(no header)' : `${e.source_topic}/${e.source_partition ?? '?'}@${e.source_offset ?? '?'}`;

/** The table's value column: the decoded value as JSON, else the text or base64 of the bytes. */
function valueCell(e: DlqEntry): string {
  if (e.value !== null) return cut(JSON.stringify(e.value), 64);
  if (e.raw === null) return '(null)';
  return cut(e.raw.text !== null ? `text ${JSON.stringify(e.raw.text)}` : `base64 ${e.raw.base64}`, 64);
}

function renderList(entries: readonly DlqEntry[]): string {
  const table = newTable({
    head: ['dead-lettered (UTC)', 'dlq', 'source topic/partition@offset', 'reason', 'message', 'value', 'replayed'],
    style: { head: [], border: [], compact: true },
  });
  for (const e of entries) {
    table.push([
      e.dead_lettered_at.replace('T', ' ').replace(/\.\d+Z$/, ''),
      `${e.dlq_partition}/${e.dlq_offset}`,
      source(e),
      e.reason ?? '-',
      cut(e.message ?? '-', 40),
      valueCell(e),
      e.replayed ? `${e.replayed.at.slice(0, 19).replace('T', ' ')} → ${e.replayed.sent_to.partition}@${e.replayed.sent_to.offset}` : '-',
    ]);
  }
  return table.toString();
}

function replayDocument(plan: ReplayPlan, opts: ReplayOptions, matched: number) {
  return {
    dry_run: opts.dryRun === true,
    reason: opts.reason,
    since: opts.since === undefined ? null : new Date(opts.since).toISOString(),
    matched,
    sent: plan.send.map((s) => s.sent),
    already_replayed: plan.alreadyReplayed,
    not_sent: plan.notSent,
  };
}

function renderReplay(doc: ReturnType<typeof replayDocument>, dlqTopic: string): string {
  const copies = doc.sent.reduce((n, s) => n + s.copies.length, 0);
  const lines = [
    `${dlqTopic}, reason ${doc.reason}${doc.since ? ` since ${doc.since}` : ''}: ${doc.matched} record(s); ` +
      `${doc.dry_run ? 'would send' : 'sent'} ${doc.sent.length}${copies > 0 ? ` (and marked ${copies} more DLQ copies of them)` : ''}, ` +
      `${doc.already_replayed.length} replayed before, ${doc.not_sent.length} not sent${doc.dry_run ? ' (dry run: nothing was sent or marked)' : ''}`,
  ];
  const table = newTable({ head: ['dlq', 'source topic/partition@offset', 'key', 'outcome'], style: { head: [], border: [], compact: true } });
  for (const s of doc.sent) {
    table.push([`${s.dlq_partition}/${s.dlq_offset}`, source(s), s.key ?? '-', s.sent_to ? `sent: ${s.event_id} → ${s.sent_to.partition}@${s.sent_to.offset}` : `would send ${s.event_id}`]);
  }
  for (const a of doc.already_replayed) table.push([`${a.dlq_partition}/${a.dlq_offset}`, source(a), a.key ?? '-', `replayed ${a.replayed_at} → ${a.sent_to.partition}@${a.sent_to.offset}`]);
  for (const n of doc.not_sent) table.push([`${n.dlq_partition}/${n.dlq_offset}`, source(n), n.key ?? '-', cut(`not sent: ${n.reason_now}: ${n.message_now}`, 80)]);
  if (doc.matched > 0) lines.push(table.toString());
  return lines.join('\n');
}

export function register(program: Command): void {
  const dlq = program.command('dlq').description(`inspect and re-drive the dead-letter queue ${TOPICS.dlq} (see docs/events.md)`);

  subcommand(dlq, 'list', 'list dead-lettered records: when, source topic/partition/offset, reason, message and the original value, decoded where it can be', {
    required: false,
    help: 'only records with this reason code (docs/events.md, "Every reason")',
  })
    .option('--json', 'print one JSON document {topic, reason, since, count, records: [...]} on stdout')
    .addHelpText(
      'after',
      `
${READ_AFTER}
${SINCE_AFTER}

The value is decoded with its writer schema from the registry (SCHEMA_REGISTRY_URL) into the
topic's schema where it can be; otherwise the table shows the start of its text, or its base64
when the bytes are not text. Customer ids are shown as the producer sent them: the DLQ keeps
the original bytes (docs/security.md). Records are listed by time dead-lettered.

--json: {topic, reason, since, count, records}, each record {dlq_partition, dlq_offset,
dead_lettered_at, source_topic, source_partition, source_offset, reason, message, key (text, or
"base64:..." for bytes that are not), value (decoded, or null), raw (null, or {bytes, text,
base64} of a value that could not be decoded), decode_error, replayed (null, or {at, sent_to:
{topic, partition, offset}})}.

Examples:
  cxg dlq list --since 2h
  cxg dlq list --reason timestamp_in_future --json | jq '.records[] | {source_topic, source_offset, value}'

Exit codes: 0 printed (also when nothing matches); 1 invalid arguments, Kafka or the schema registry
unreachable; 2 ${TOPICS.dlq} does not exist (run cxg topics init).`,
    )
    .action(async (opts: ListOptions) => {
      const filter: Filter = { ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.since === undefined ? {} : { sinceMs: opts.since }) };
      const { names, result } = await read(filter);
      const dlqTopic = names.physical(TOPICS.dlq);
      const records = result.entries.map((e) => e.entry);
      if (opts.json) {
        const since = opts.since === undefined ? null : new Date(opts.since).toISOString();
        process.stdout.write(`${JSON.stringify({ topic: dlqTopic, reason: opts.reason ?? null, since, count: records.length, records })}\n`);
      } else if (records.length === 0) {
        process.stdout.write(`no records in ${dlqTopic}${opts.reason ? ` with reason ${opts.reason}` : ''}${opts.since === undefined ? '' : ` since ${new Date(opts.since).toISOString()}`}\n`);
      } else {
        process.stdout.write(`${renderList(records)}\n${records.length} record(s)\n`);
      }
    });

  subcommand(dlq, 'replay', 'send the dead-lettered records of one reason that are valid now back to their source topic, each once', {
    required: true,
    help: 'replay the records with this reason code (docs/events.md, "Every reason")',
  })
    .option('--dry-run', 'print what would be sent; send and mark nothing')
    .option('--json', 'print one JSON document {dry_run, reason, since, matched, sent, already_replayed, not_sent} on stdout')
    .addHelpText(
      'after',
      `
For each record of ${TOPICS.dlq} with that reason, oldest first:
  - replayed before (a marker in ${TOPICS.dlqReplayed} for it, or for another DLQ copy of the same
    source record): skipped;
  - judged again with today's rules and wall clock, as a worker would judge it now (decoded with
    the registry, then the rules of docs/events.md; duplicate_contact_id needs the worker's state
    and is left to the worker). Still rejected, undecodable, or without source headers: not sent,
    not marked, listed with the reason it has now, so a run after a fix sends it;
  - valid: sent to its source topic and partition with its key and value bytes unchanged (header
    cx-dlq-replay-of: <dlq partition>/<offset>), then a marker keyed <dlq partition>/<offset> is
    written to the compacted ${TOPICS.dlqReplayed}. A source record dead-lettered twice is sent once.
A record counts as replayed once its marker is written. A crash between the send and the marker
sends those records again on the next run; the workers count the second copy as a duplicate by
its event_id and nothing else happens. Run one replay at a time. Replayed records are usually late
for the detector's reorder buffer (docs/detection.md, "Late events"): processed, and counted.

${READ_AFTER}
${SINCE_AFTER}

Examples:
  cxg dlq replay --reason timestamp_in_future --dry-run
  cxg dlq replay --reason timestamp_in_future --since 2026-11-03T00:00:00Z --json | jq '.sent | length'

Exit codes: 0 done (also when nothing was sent: records still rejected are reported, not fatal);
1 invalid arguments, Kafka or the schema registry unreachable, a failed send; 2 ${TOPICS.dlq} or
${TOPICS.dlqReplayed} does not exist (run cxg topics init).`,
    )
    .action(async (opts: ReplayOptions) => {
      const { endpoints, names, kafka, result } = await read({ reason: opts.reason, ...(opts.since === undefined ? {} : { sinceMs: opts.since }) });
      if (result.markers === null && !opts.dryRun) throw new CliError(`topic ${names.physical(TOPICS.dlqReplayed)} does not exist on ${endpoints.kafkaBrokers.join(',')}: run cxg topics init`, 2);
      const plan = planReplay(result, Date.now(), names);
      if (!opts.dryRun && plan.send.length > 0) {
        await kafkaStep('replaying the DLQ', endpoints.kafkaBrokers, async () => {
          const producer = await createProducer(kafka);
          try {
            await executeReplay(producer, plan, Date.now, names);
          } finally {
            await producer.disconnect();
          }
        });
      }
      const doc = replayDocument(plan, opts, result.entries.length);
      process.stdout.write(opts.json ? `${JSON.stringify(doc)}\n` : `${renderReplay(doc, names.physical(TOPICS.dlq))}\n`);
    });
}
