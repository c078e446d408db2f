import type { Command } from 'commander';
import {
  ChannelValues,
  DEFAULT_MAX_TIMELINE_ENTRIES,
  Decimal,
  LINE_TYPES,
  compareCodePoints,
  detectionSettingsOf,
  exactJson,
  jsonDecimal,
  kpiValues,
  replay,
  type ReplayRejection,
  type ReplayResult,
} from '@cxg/engine';
import { INPUT_RECORD_OF_TOPIC, loadContractsConfig, readEndpoints } from '@cxg/platform';
import { formatCents, type ProviderMonth, type StoredAdjustment, type StoredLine } from '@cxg/ledger';
import { progressBar } from '@cxg/simulator';
import { newTable } from '../color.ts';
import { readReplayFiles, type ReadResult } from '../replay/ndjson.ts';
import { DEFAULT_REPLAY_CLICKHOUSE, replayAccruals, type ReplayAccruals } from '../replay/accruals.ts';
import { stepProgress } from '../replay/progress.ts';
import { pseudonymizerFromEnv } from '../pseudonym.ts';

interface ReplayOptions {
  events: string[];
  config?: string;
  clickhouse: string;
  json?: boolean;
}

const typeRank = (t: string) => (LINE_TYPES as readonly string[]).indexOf(t);
const channelRank = (c: string | null) => (c === null ? -1 : (ChannelValues as readonly string[]).indexOf(c));

/**
 * The accrual fields of docs/replay.md; lines whose quantity and amount are both 0 are left out
 * (docs/accruals.md allows it). `quantity` is a JsonNumber and `amount_cents` a bigint: print the document
 * with `exactJson`, which writes both as JSON numbers with every digit.
 */
function accrualsDocument(lines: readonly StoredLine[]) {
  return lines
    .filter((l) => l.amount_cents !== 0n || !Decimal.fromDecimalString(l.quantity).isZero())
    .sort(
      (a, b) =>
        compareCodePoints(a.contract_id, b.contract_id) || compareCodePoints(a.date, b.date) || typeRank(a.line_type) - typeRank(b.line_type) || channelRank(a.channel) - channelRank(b.channel),
    )
    .map((l) => ({
      contract_id: l.contract_id,
      provider_id: l.provider_id,
      date: l.date,
      line_type: l.line_type,
      channel: l.channel,
      quantity: jsonDecimal(l.quantity),
      amount_cents: l.amount_cents,
      status: l.status,
    }));
}

/** adjustments (docs/accruals.md, "Adjustments"): changes to final lines from late records, by booking day. */
function adjustmentsDocument(adjustments: readonly StoredAdjustment[]) {
  return adjustments.map((a) => ({
    contract_id: a.contract_id,
    service_date: a.service_date,
    line_type: a.line_type,
    channel: a.channel,
    booked_on: a.booked_on,
    quantity_delta: jsonDecimal(a.quantity_delta),
    amount_delta_cents: a.amount_delta_cents,
    cause: a.cause,
    evidence: JSON.parse(a.evidence) as unknown,
  }));
}

/** monthly_kpis (docs/replay.md): the engine's kpiValues over each provider's month counters. */
function monthlyKpisDocument(months: readonly ProviderMonth[]) {
  return months.map((m) => {
    const v = kpiValues(m.counters);
    return {
      provider_id: m.provider_id,
      month: m.month,
      answered: m.counters.answered,
      repeat_rate: v.repeat_rate,
      fcr_rate: v.fcr_rate,
      csat_top2: v.csat_top2,
      service_level: v.service_level,
      abandon_rate: v.abandon_rate,
      aht_seconds: v.aht_seconds,
      switch_share: v.switch_share,
    };
  });
}

/** The JSON document of docs/replay.md, fields in its documented order. */
function replayDocument(
  result: ReplayResult,
  undecodable: ReplayRejection[],
  lines: readonly StoredLine[] = [],
  months: readonly ProviderMonth[] = [],
  adjustments: readonly StoredAdjustment[] = [],
) {
  const rejected = [...result.rejected, ...undecodable].sort((a, b) => a.line - b.line);
  return {
    signals: result.signals.map((s) => ({
      kind: s.kind,
      contact_event_id: s.contact_event_id,
      contact_id: s.contact_id,
      prior_event_id: s.prior_event_id,
      prior_id: s.prior_id,
      customer_id: s.customer_id,
      intent_family: s.intent_family,
      contact_provider_id: s.contact_provider_id,
      prior_provider_id: s.prior_provider_id,
      gap_ms: s.gap_ms,
    })),
    accruals: accrualsDocument(lines),
    adjustments: adjustmentsDocument(adjustments),
    monthly_kpis: monthlyKpisDocument(months),
    rejected,
    duplicates: result.duplicates,
  };
}

const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)} %`);

function printTables(doc: ReturnType<typeof replayDocument>, accepted: number, clickhouse: string): void {
  const kinds = newTable({ head: ['signal', 'contact provider', 'charged to (prior provider)', 'count'] });
  const counts = new Map<string, number>();
  for (const s of doc.signals) {
    const k = `${s.kind}\u0000${s.contact_provider_id}\u0000${s.prior_provider_id ?? '(web journey)'}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const [k, n] of [...counts].sort()) kinds.push([...k.split('\u0000'), n]);
  const reasons = newTable({ head: ['rejected: reason', 'records'] });
  const byReason = new Map<string, number>();
  for (const r of doc.rejected) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  for (const [r, n] of [...byReason].sort()) reasons.push([r, n]);

  // Accruals per contract, month and line type: the statement's totals (cxg statement has the days).
  const sums = new Map<string, { cents: bigint; lines: number; final: boolean }>();
  for (const l of doc.accruals) {
    const k = `${l.contract_id}\u0000${l.date.slice(0, 7)}\u0000${l.line_type}${l.channel ? ` ${l.channel}` : ''}`;
    const s = sums.get(k) ?? { cents: 0n, lines: 0, final: true };
    s.cents += l.amount_cents;
    s.lines++;
    s.final &&= l.status === 'final';
    sums.set(k, s);
  }
  // by service month: an adjustment adds to the month of the line it refers to
  for (const a of doc.adjustments) {
    const k = `${a.contract_id}\u0000${a.service_date.slice(0, 7)}\u0000${a.line_type}${a.channel ? ` ${a.channel}` : ''}`;
    const s = sums.get(k) ?? { cents: 0n, lines: 0, final: true };
    s.cents += a.amount_delta_cents;
    sums.set(k, s);
  }
  const accruals = newTable({ head: ['contract', 'month', 'line', 'lines', 'amount', 'status'], colAligns: ['left', 'left', 'left', 'right', 'right', 'left'] });
  for (const [k, s] of sums) accruals.push([...k.split('\u0000'), s.lines, formatCents(s.cents), s.final ? 'final' : 'provisional']);
  const kpis = newTable({
    head: ['provider', 'month', 'answered', 'repeat', 'fcr', 'csat top2', 'service level', 'abandon', 'aht s', 'switch share'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const m of doc.monthly_kpis) {
    kpis.push([m.provider_id, m.month, String(m.answered), pct(m.repeat_rate), pct(m.fcr_rate), pct(m.csat_top2), pct(m.service_level), pct(m.abandon_rate), m.aht_seconds?.toFixed(1) ?? '-', pct(m.switch_share)]);
  }
  console.log(`${accepted} accepted, ${doc.duplicates} duplicates, ${doc.rejected.length} rejected, ${doc.signals.length} signals, ${doc.accruals.length} accrual lines (not 0), ${doc.adjustments.length} adjustments`);
  console.log(kinds.toString());
  if (byReason.size > 0) console.log(reasons.toString());
  if (sums.size > 0) console.log(accruals.toString());
  if (doc.monthly_kpis.length > 0) console.log(kpis.toString());
  console.log(`ledger: ${clickhouse} (cxg statement --clickhouse ${clickhouse} --contract ID --month YYYY-MM)`);
}

export function register(program: Command): void {
  program
    .command('replay')
    .description('run the engine over NDJSON event files without Kafka or Redis (see docs/replay.md): signals, accruals and monthly KPIs, the order-independent result')
    .requiredOption('--events <file...>', 'NDJSON files, one {"topic": ..., "value": {...}} per line, read in the order given')
    .option('--config <file>', 'contracts YAML (default: CX_CONFIG or config/contracts.yaml)')
    .option('--clickhouse <url>', 'where the replay writes facts and the accrual ledger: chdb://<dir> or http(s)://user:pass@host:port/db; emptied first', DEFAULT_REPLAY_CLICKHOUSE)
    .option('--json', 'print one JSON object {signals, accruals, adjustments, monthly_kpis, rejected, duplicates} on stdout')
    .addHelpText(
      'after',
      `
Accruals: the accepted facts and the signals are written to ClickHouse and every contract day up
to the replay's watermark (the greatest event time of the accepted records) is rated with the
accrual worker's own code; months close by the same watermark rule as in streaming. The target
database holds exactly this replay: its facts, ledger and watermark are emptied first, so the
default is a replay-only embedded directory (.cxg/replay/clickhouse), which never competes with a
running worker for its directory, and the worker's CLICKHOUSE_URL is refused. The ledger stays
there for \`cxg statement --clickhouse <url>\` and \`cxg evidence --clickhouse <url>\`.
In --json, accruals leave out lines whose quantity and amount are both 0.

Quantities and amounts are exact at any size: --json prints them as JSON numbers with every digit
(a reader parsing numbers as doubles rounds those past 2^53; the text does not).

Exit codes: 0 when it ran (rejected records are reported, not fatal); 2 for an unreadable file, an
invalid config, an unusable --clickhouse target, or input that cannot be rated: a line whose amount
lies beyond the signed 64-bit range of cents (the message names contract, day and line).
A progress bar is drawn on stderr when it is a terminal.

With CX_PSEUDONYM_KEY (or CX_PSEUDONYM_KEY_FILE) set, customer ids are pseudonymised as the workers
do it (docs/security.md): signals, facts and the ledger carry the pseudonyms; signal ids do not change.`,
    )
    .action(async (opts: ReplayOptions) => {
      // An unreadable file, an invalid config, an unusable target and a LineRangeError (valid
      // records whose rating cannot be booked, docs/accruals.md: the input cannot be replayed as
      // given) are exit 2 and one line, by main.ts's one mapping (errors.ts).
      const config = loadContractsConfig(opts.config ?? readEndpoints().configFile);
      // CX_PSEUDONYM_KEY as the workers read it: the same pseudonyms at the same point (before validation).
      const pseudonymizer = pseudonymizerFromEnv();
      let total = 0;
      let done = 0;
      const bar = progressBar({ fraction: () => (total === 0 ? 1 : done / total) }, 'replay');
      let read: ReadResult;
      try {
        read = await readReplayFiles(opts.events, (at, size) => {
          done = at;
          total = size;
          bar.tick(4096);
        });
      } finally {
        bar.stop();
      }
      const { records, undecodable } = read;
      if (pseudonymizer) for (const r of records) pseudonymizer.apply(INPUT_RECORD_OF_TOPIC[r.topic] ?? '', r.value);
      const result = replay(records, { nowMs: Date.now(), settings: detectionSettingsOf(config.detection) });
      if (result.timelineTruncated > 0) {
        // The detector's cx_timeline_truncated_total: a customer flooded past the timeline's safety bound.
        process.stderr.write(`cxg replay: warning: ${result.timelineTruncated} timeline entries dropped by the safety bound of ${DEFAULT_MAX_TIMELINE_ENTRIES} per customer (a flood); signals of the flooded customers may miss priors\n`);
      }
      const rating = stepProgress('rating');
      let accruals: ReplayAccruals;
      try {
        accruals = await replayAccruals(opts.clickhouse, config, result, (d, t, label) => rating.update(d, t, label));
      } finally {
        rating.stop();
      }
      const doc = replayDocument(result, undecodable, accruals.lines, accruals.monthly, accruals.adjustments);
      if (opts.json) process.stdout.write(exactJson(doc) + '\n');
      else printTables(doc, result.accepted.length, opts.clickhouse);
    });
}
