import { InvalidArgumentError, Option, type Command } from 'commander';
import { INPUT_TOPICS } from '@cxg/engine';
import {
  DEFAULT_START_MS,
  DEFAULT_TIME_ZONE,
  pump,
  simulate,
  writeNdjson,
  type RecordSink,
  type SimRun,
} from '@cxg/simulator';
import { newTable } from '../color.ts';
import { CliError } from '../errors.ts';

interface SimulateFlags {
  seed: number;
  customers: number;
  providers: number;
  days: number;
  start: number;
  inhouse?: boolean;
  out?: string;
  kafka?: boolean;
  rate?: number;
  badRatio: number;
  duplicateRatio: number;
  issueRate: number;
  timezone: string;
  json?: boolean;
}

/** Where the records went, for the summary. */
type Delivery = { file: string; bytes: number } | { kafka: true; sent: number; batches: number; aborted: boolean };

const HELP_AFTER = `
Traffic model (documented parameters in services/simulator/src/params.ts and providers.ts):
  customers cust-000001.. are ACTIVATED at the start (97 %) or over the days; portfolios move
  between providers (DEACTIVATED, then ACTIVATED elsewhere) and some customers churn.
  Issues follow a daily pattern (local business hours, quiet weekends) in intent families
  billing, tech, tariff, contract, device, account. Customers may try a web journey first and
  phone within hours when it FAILED or was ABANDONED. prov-a resolves best, prov-b worst
  (more repeat contacts of the same family within days), prov-c is average.

Output:
  --out FILE   NDJSON as cxg replay reads it (docs/replay.md), one {"topic","key","value"} object per line;
               timestamps are epoch ms; "key" (customer_id, or session_id for anonymous
               journeys) is optional for readers. Records come in arrival order: by event time
               with a little disorder (under 2 minutes).
  --kafka      produces to the Kafka topics of cx.contacts.v1, cx.web.v1, cx.customers.v1
               (named by CX_TOPIC_PREFIX and CX_TOPIC_*, see cxg topics init --help;
               KAFKA_BROKERS, SCHEMA_REGISTRY_URL); --rate paces it. Ctrl-C stops after the
               batch in flight. An NDJSON file is loaded into Kafka with cxg publish.
  The same seed and arguments give byte-identical output. Timestamps must stay within 24 h
  of now, so the period may not end later than that. A summary is printed on stdout
  (--json: as one JSON object); a progress bar is drawn on stderr when it is a terminal.

Examples:
  cxg simulate --seed 5 --customers 300 --days 3 --out /tmp/sim.ndjson
  cxg simulate --customers 300000 --days 7 --bad-ratio 0.01 --duplicate-ratio 0.01 --out week.ndjson
  cxg simulate --start 2026-11-20 --days 2 --kafka --rate 500

Exit codes: 0 done; 1 invalid arguments or a failed write or produce; 130 interrupted.`;

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(min === Number.MIN_SAFE_INTEGER ? 'expected an integer' : `expected an integer in ${min}..${max}`);
    }
    return n;
  };
}

function fraction(max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !(n >= 0 && n <= max)) throw new InvalidArgumentError(`expected a number in 0..${max}`);
    return n;
  };
}

function positive(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

// A date-time without a zone would silently mean the machine's local time: refuse it.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export function isoInstant(raw: string): number {
  const ms = ISO_DATE.test(raw) || ISO_DATE_TIME.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) throw new InvalidArgumentError('expected an ISO-8601 date (UTC midnight) or date-time with a zone, e.g. 2026-11-01T00:00:00Z');
  return ms;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function summaryDocument(run: SimRun, delivery: Delivery, elapsedMs: number) {
  const { config, stats } = run;
  return {
    seed: config.seed,
    customers: config.customers,
    providers: config.providers,
    inhouse: config.inhouse,
    days: config.days,
    start: iso(config.startMs),
    end: iso(config.endMs),
    records: stats.records,
    total: stats.total,
    bad: stats.bad,
    bad_by_kind: stats.badByKind,
    duplicates: stats.duplicates,
    duplicate_contact_ids: stats.duplicateContactIds,
    first_event: iso(stats.firstEventMs),
    last_event: iso(stats.lastEventMs),
    output: delivery,
    elapsed_ms: Math.round(elapsedMs),
  };
}

function printSummary(doc: ReturnType<typeof summaryDocument>): void {
  // Plain characters and no colours: the summary is often piped or captured in logs.
  const table = newTable({
    head: ['', 'records'],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const topic of INPUT_TOPICS) table.push([topic, doc.records[topic]]);
  table.push(['total', doc.total]);
  table.push(['  of which bad', doc.bad]);
  table.push(['  of which duplicates', doc.duplicates]);
  table.push(['  of which known contact_id, new event_id', doc.duplicate_contact_ids]);
  console.log(table.toString());
  const kinds = Object.entries(doc.bad_by_kind).sort(([a], [b]) => a.localeCompare(b));
  if (kinds.length > 0) console.log(`bad kinds: ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(`event time ${doc.first_event ?? '-'} .. ${doc.last_event ?? '-'} (period ${doc.start} .. ${doc.end})`);
  const out = doc.output;
  const where = 'file' in out ? `${out.file} (${(out.bytes / 1e6).toFixed(1)} MB)` : `Kafka, ${out.sent} records in ${out.batches} batches${out.aborted ? ', interrupted' : ''}`;
  console.log(`${where} in ${(doc.elapsed_ms / 1000).toFixed(1)} s`);
}

async function toKafka(run: SimRun, rate: number | undefined, signal: AbortSignal): Promise<Delivery> {
  // Loaded here so writing a file never loads the Kafka client.
  const { createKafkaSink, readTopicNames } = await import('@cxg/platform');
  const sink: RecordSink = await createKafkaSink({ names: readTopicNames() });
  try {
    const result = await pump(run, sink, { ...(rate === undefined ? {} : { rate }), progress: run, signal });
    return { kafka: true, sent: result.records, batches: result.batches, aborted: result.aborted };
  } finally {
    await sink.close();
  }
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('generate deterministic synthetic traffic (customers, contacts, web journeys) to an NDJSON file or to Kafka')
    .option('--seed <n>', 'random seed', integer(Number.MIN_SAFE_INTEGER), 1)
    .option('--customers <n>', 'customers, keyed cust-000001 ...', integer(1, 10_000_000), 1000)
    .option('--providers <n>', 'outsourcing providers prov-a, prov-b, ... (1..26)', integer(1, 26), 3)
    .option('--inhouse', 'add an `inhouse` provider with a small portfolio that also takes overflow contacts')
    .option('--days <n>', 'simulated days of 24 h', integer(1, 3660), 7)
    .addOption(
      new Option('--start <iso>', 'start of the period: ISO-8601 date (UTC midnight) or date-time with a zone')
        .argParser(isoInstant)
        .default(DEFAULT_START_MS, new Date(DEFAULT_START_MS).toISOString()),
    )
    .addOption(new Option('--out <file>', 'write NDJSON to this file').conflicts('kafka'))
    .addOption(new Option('--kafka', 'produce to the input topics instead of a file').conflicts('out'))
    .option('--rate <n>', 'with --kafka: records per second (default: as fast as the brokers take them)', positive)
    .option('--bad-ratio <f>', 'share of output records that are invalid (0..0.5)', fraction(0.5), 0)
    .option('--duplicate-ratio <f>', 'share of output records that re-send an earlier record (0..0.5)', fraction(0.5), 0)
    .option('--issue-rate <f>', 'new customer issues per customer and day, before the daily pattern', positive, 0.05)
    .option('--timezone <tz>', 'time zone of the daily traffic pattern', DEFAULT_TIME_ZONE)
    .option('--json', 'print the summary as one JSON object on stdout')
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: SimulateFlags, cmd: Command) => {
      if (flags.out === undefined && !flags.kafka) cmd.error('cxg simulate: choose an output: --out FILE or --kafka');
      if (flags.rate !== undefined && !flags.kafka) cmd.error('cxg simulate: --rate paces --kafka; a file is written as fast as possible');
      let run: SimRun;
      try {
        run = simulate({
          seed: flags.seed,
          customers: flags.customers,
          providers: flags.providers,
          days: flags.days,
          startMs: flags.start,
          nowMs: Date.now(),
          inhouse: flags.inhouse ?? false,
          badRatio: flags.badRatio,
          duplicateRatio: flags.duplicateRatio,
          issueRate: flags.issueRate,
          timeZone: flags.timezone,
        });
      } catch (err) {
        if (err instanceof RangeError) cmd.error(`cxg simulate: ${err.message}`);
        throw err;
      }

      const controller = new AbortController();
      const onSigint = (): void => controller.abort(new Error('interrupted'));
      // `on`, not `once`: a terminal's Ctrl-C reaches this process both directly and relayed by tsx.
      process.on('SIGINT', onSigint);
      const started = performance.now();
      try {
        const delivery: Delivery =
          flags.out !== undefined
            ? { file: flags.out, bytes: (await writeNdjson(run, flags.out, { progress: run, signal: controller.signal })).bytes }
            : await toKafka(run, flags.rate, controller.signal);
        const doc = summaryDocument(run, delivery, performance.now() - started);
        if (flags.json) process.stdout.write(JSON.stringify(doc) + '\n');
        else printSummary(doc);
        // the summary says how far it got (`interrupted`)
        if (controller.signal.aborted) throw new CliError('interrupted', 130, { reported: true });
      } catch (err) {
        if (err instanceof CliError) throw err;
        if (controller.signal.aborted) throw new CliError('interrupted, no file written', 130, { cause: err });
        throw new CliError((err as Error).message, 1, { cause: err });
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
