/**
 * Rating from facts: SQL aggregates per (contract, local day) → the engine's rateDay, month
 * close with closeMonth, status by watermark, written to the ledger as a new version. The worker,
 * `cxg rerate` and `cxg replay` all rate through here.
 */
import {
  accrualStatus,
  addKpiCounters,
  closeMonth,
  datesBetween,
  emptyKpiCounters,
  endOfLocalDay,
  localDateOf,
  LineRangeError,
  rateDay,
  type AccrualLine,
  type Contract,
  type ContractsConfig,
  type Count,
} from '@cxg/engine';
import type { ClickHouseClient } from './clickhouse.ts';
import { loadFactViews, type DayFacts } from './aggregate.ts';
import { readLines, writeLines, type LedgerLine } from './ledger.ts';
import { isCloseType, lineCut, readAdjustments, settle, writeAdjustments, type Adjustment, type Booking } from './adjustments.ts';
import { readFirstRecords, ratedContract } from './ledger-start.ts';
import { planRating, type RatingChunk } from './plan.ts';
import { VersionClock } from './version.ts';
import { configVersion } from './config-version.ts';

export interface RateOptions {
  /** Shared by a process so its versions only grow; a fresh clock by default. */
  versions?: VersionClock;
  /**
   * The watermark the ledger was last rated at: lines and adjustments final at it are never
   * rewritten, changes to them are booked as adjustments (adjustments.ts). Null or absent: the
   * ledger holds nothing final yet (a replay's fresh database).
   */
  previousWatermarkMs?: number | null;
  /**
   * Compare with every stored line of the chunk, not only those that can be frozen, so a line the
   * contracts file no longer rates is set to 0 while provisional (cxg rerate, a new config version).
   */
  reconcile?: boolean;
  /** Compute and settle every chunk without writing (`cxg rerate --dry-run`). */
  dryRun?: boolean;
  /** Called with each chunk's settled lines and adjustment rows (written unless `dryRun`). */
  onSettled?: (chunk: RatingChunk, settled: Settled) => void;
  /** Called after each chunk (one month of one contract). */
  onProgress?: (done: number, total: number, chunk: RatingChunk) => void;
  /**
   * A chunk holding a line that cannot be booked (LineRangeError: an amount beyond the signed
   * 64-bit range of cents): without this the rating stops and throws it; with it the chunk writes
   * nothing (its month keeps its previous lines), this is called, and the other chunks are rated.
   */
  onLineError?: (err: LineRangeError, chunk: RatingChunk) => void;
}

/** What rating a chunk writes: the lines to (re)write and the adjustment rows that are new or changed. */
export interface Settled {
  lines: LedgerLine[];
  adjustments: Adjustment[];
}

export interface RateSummary {
  /** (contract, month) chunks rated */
  chunks: number;
  days: number;
  lines: number;
  /** adjustment rows written (new or changed) */
  adjustments: number;
  /** `<contract_id>:<YYYY-MM>` of every month whose close lines were written */
  closedMonths: string[];
  /** chunks not written because a line could not be booked (only with `onLineError`) */
  failed: Array<{ contract_id: string; month: string; error: LineRangeError }>;
}

/** Status by the watermark; the basis names the config version the line was rated under. */
const asBooked = (contract: Contract, lines: AccrualLine[], watermarkMs: number, latenessMs: number, version: string): LedgerLine[] =>
  lines.map((l) => ({ ...l, basis: { ...l.basis, config_version: version }, status: accrualStatus(contract, l.date, watermarkMs, latenessMs) }));

/** A chunk's lines from its days' facts (with the month's close lines when it closes it), status by `watermarkMs`. */
function linesOf(config: ContractsConfig, chunk: RatingChunk, facts: ReadonlyMap<string, DayFacts>, watermarkMs: number): LedgerLine[] {
  const { contract, month, dates, close } = chunk;
  const daily = dates.flatMap((d) => rateDay(contract, facts.get(d)!.aggregates));
  let lines = daily;
  if (close) {
    let counters = emptyKpiCounters();
    const active: Record<string, Count> = {};
    for (const d of dates) {
      const f = facts.get(d)!;
      counters = addKpiCounters(counters, f.counters);
      active[d] = f.aggregates.active_customers;
    }
    lines = [...daily, ...closeMonth(contract, month, daily, counters, active)];
  }
  return asBooked(contract, lines, watermarkMs, config.detection.allowed_lateness_ms, configVersion(config));
}

/**
 * The lines of one chunk computed from the facts (with `arrivedBefore`, from those that arrived
 * before it), with status by `watermarkMs`, without writing them: `cxg whatif` compares them under
 * another contracts file.
 */
export async function computeChunk(client: ClickHouseClient, config: ContractsConfig, chunk: RatingChunk, watermarkMs: number, arrivedBefore?: number): Promise<LedgerLine[]> {
  const [facts] = (await loadFactViews(client, config, chunk.contract, [{ dates: chunk.dates, arrivedBefore }])).views;
  return linesOf(config, chunk, facts!, watermarkMs);
}

/**
 * What rating one chunk writes (adjustments.ts): its lines from every fact, and where a day is
 * final, the late facts, the lines as they stood at their cut and on each booking day, and what
 * the ledger holds, settled into lines to rewrite and adjustment rows. A chunk with no final day
 * costs one query, as before adjustments; one with final days reads the late facts in the same
 * query, every earlier view of its facts in one more, then the stored lines and adjustments.
 */
export async function settleChunk(
  client: ClickHouseClient,
  config: ContractsConfig,
  chunk: RatingChunk,
  watermarkMs: number,
  previousWatermarkMs: number | null,
  reconcile = false,
): Promise<Settled> {
  const { contract, dates } = chunk;
  const latenessMs = config.detection.allowed_lateness_ms;
  const finalDates = dates.filter((d) => watermarkMs >= lineCut(contract, d, latenessMs));
  const now = await loadFactViews(client, config, contract, [{ dates }], { late: finalDates.length > 0 });
  const current = linesOf(config, chunk, now.views[0]!, watermarkMs);
  if (finalDates.length === 0 && !reconcile) return { lines: current, adjustments: [] };

  const tz = contract.timezone;
  const lastDate = dates.at(-1)!;
  const closeCut = chunk.close ? lineCut(contract, lastDate, latenessMs) : null;
  const closeEnd = endOfLocalDay(lastDate, tz);
  const finals = finalDates.map((d) => ({ d, cut: lineCut(contract, d, latenessMs), end: endOfLocalDay(d, tz) }));
  const finalIndex = new Map(finals.map((f) => [f.d, f]));
  // One pass over the late facts, in arrival order (a backlog can make tens of thousands late):
  // the records behind each final day's change and the close's, per booking day. A fact is late
  // for a day it counts for (a contact its own, a customer event its own and every later one)
  // when it arrived after the day's cut.
  const dayEvidence = new Map<string, Map<string, string[]>>();
  const closeEvidence = new Map<string, string[]>();
  const push = (m: Map<string, string[]>, on: string, ref: string) => (m.get(on) ?? m.set(on, []).get(on)!).push(ref);
  for (const f of now.late) {
    const on = localDateOf(f.arrived_ms, tz);
    const ref = `${f.kind}:${f.id}`;
    const lateFor = (d: string) => push(dayEvidence.get(d) ?? dayEvidence.set(d, new Map()).get(d)!, on, ref);
    if (f.kind === 'customer') {
      for (const x of finals) if (f.t < x.end && f.arrived_ms >= x.cut) lateFor(x.d);
    } else {
      const x = finalIndex.get(localDateOf(f.t, tz));
      if (x !== undefined && f.arrived_ms >= x.cut) lateFor(x.d);
    }
    if (closeCut !== null && f.arrived_ms >= closeCut && f.t < closeEnd) push(closeEvidence, on, ref);
  }
  const days = [...new Set([...dayEvidence.values(), closeEvidence].flatMap((m) => [...m.keys()]))].sort();
  const today = localDateOf(watermarkMs, tz);

  // Every earlier view in one query: each late day at its cut, the month's close at its cut, the
  // chunk at the end of each booking day before today (today's is the current one).
  const originals = [...dayEvidence.keys()].map((d) => ({ chunk: { ...chunk, dates: [d], close: false }, arrivedBefore: lineCut(contract, d, latenessMs) }));
  const closeOriginal = closeEvidence.size > 0 ? [{ chunk, arrivedBefore: closeCut! }] : [];
  const pastBookings = days.filter((on) => on < today).map((on) => ({ on, chunk, arrivedBefore: endOfLocalDay(on, tz) }));
  const earlier = [...originals, ...closeOriginal, ...pastBookings];
  const seen =
    earlier.length === 0
      ? []
      : (await loadFactViews(client, config, contract, earlier.map((e) => ({ dates: e.chunk.dates, arrivedBefore: e.arrivedBefore })))).views.map((facts, i) =>
          linesOf(config, earlier[i]!.chunk, facts, watermarkMs),
        );

  const original = new Map<string, LedgerLine>();
  originals.forEach((_, i) => {
    for (const l of seen[i]!) original.set(l.accrual_id, l);
  });
  if (closeOriginal.length > 0) for (const l of seen[originals.length]!) if (isCloseType(l.line_type)) original.set(l.accrual_id, l);
  const atBooking = new Map(pastBookings.map((b, i) => [b.on, seen[originals.length + closeOriginal.length + i]!]));
  const bookings: Booking[] = [];
  for (const on of days) {
    const lines = atBooking.get(on) ?? current;
    const evidence = new Map<string, string[]>();
    for (const l of lines) {
      const ids = (isCloseType(l.line_type) ? closeEvidence : dayEvidence.get(l.date))?.get(on);
      if (ids !== undefined) evidence.set(l.accrual_id, ids);
    }
    bookings.push({ on, lines: new Map(lines.map((l) => [l.accrual_id, l])), evidence });
  }
  const mayBeFrozen = previousWatermarkMs !== null && finalDates.some((d) => previousWatermarkMs >= lineCut(contract, d, latenessMs));
  const inChunk = new Set(dates);
  const stored = mayBeFrozen || reconcile
    ? (await readLines(client, { contractIds: [contract.id], from: dates[0]!, to: lastDate })).filter((l) => inChunk.has(l.date))
    : [];
  const storedAdjustments = (await readAdjustments(client, { contractIds: [contract.id], serviceFrom: dates[0]!, serviceTo: lastDate, includeZero: true })).filter((a) =>
    inChunk.has(a.service_date),
  );
  return settle({
    contract,
    configVersion: configVersion(config),
    latenessMs,
    watermarkMs,
    previousWatermarkMs,
    current,
    original,
    bookings,
    stored: new Map(stored.map((l) => [l.accrual_id, l])),
    storedAdjustments,
  });
}

/** Rates one chunk and writes its lines and adjustments under one version taken before reading the facts. */
async function rateChunk(
  client: ClickHouseClient,
  config: ContractsConfig,
  chunk: RatingChunk,
  watermarkMs: number,
  opts: RateOptions,
  versions: VersionClock,
): Promise<Settled> {
  const version = versions.next();
  const out = await settleChunk(client, config, chunk, watermarkMs, opts.previousWatermarkMs ?? null, opts.reconcile ?? false);
  if (!opts.dryRun) {
    // lines first: a crash between the two leaves lines that are not frozen yet (the saved
    // watermark has not moved), so the next rating settles the chunk again
    await writeLines(client, out.lines, version);
    await writeAdjustments(client, out.adjustments, version);
  }
  opts.onSettled?.(chunk, out);
  return out;
}

async function runChunks(client: ClickHouseClient, config: ContractsConfig, chunks: RatingChunk[], watermarkMs: number, opts: RateOptions): Promise<RateSummary> {
  const versions = opts.versions ?? new VersionClock();
  const summary: RateSummary = { chunks: 0, days: 0, lines: 0, adjustments: 0, closedMonths: [], failed: [] };
  for (const chunk of chunks) {
    let lines: LedgerLine[];
    try {
      const out = await rateChunk(client, config, chunk, watermarkMs, opts, versions);
      lines = out.lines;
      summary.adjustments += out.adjustments.length;
    } catch (err) {
      // rateChunk computes every line before it writes any, so a failed chunk wrote nothing.
      if (!(err instanceof LineRangeError) || !opts.onLineError) throw err;
      summary.failed.push({ contract_id: chunk.contract.id, month: chunk.month, error: err });
      opts.onLineError(err, chunk);
      opts.onProgress?.(summary.chunks + summary.failed.length, chunks.length, chunk);
      continue;
    }
    summary.chunks++;
    summary.days += chunk.dates.length;
    summary.lines += lines.length;
    if (chunk.close) summary.closedMonths.push(`${chunk.contract.id}:${chunk.month}`);
    opts.onProgress?.(summary.chunks + summary.failed.length, chunks.length, chunk);
  }
  return summary;
}

/**
 * Re-rates `dates` of one contract (any order, repeats allowed): days outside validity or after
 * the watermark's day are skipped; a closed month is rated whole and closed again. `contract` is
 * the one rating sees (`ratedContract`: validity from its ledger start).
 */
export async function rateDays(
  client: ClickHouseClient,
  config: ContractsConfig,
  contract: Contract,
  dates: Iterable<string>,
  watermarkMs: number,
  opts: RateOptions = {},
): Promise<RateSummary> {
  return runChunks(client, config, planRating(contract, dates, watermarkMs, config.detection.allowed_lateness_ms), watermarkMs, opts);
}

/**
 * Re-rates every day from `fromDate` to `toDate` (inclusive local dates, each contract in its own
 * zone) of `contracts` from the facts in ClickHouse, with status by `watermarkMs`. Each day's
 * lines replace its previous ones (same accrual_id, higher version). A closed month touched by
 * the range is rated whole, because its close lines depend on all of its days. Days before a
 * contract's ledger start (ledger-start.ts) are not rated.
 */
export async function rateRange(
  client: ClickHouseClient,
  config: ContractsConfig,
  contracts: readonly Contract[],
  fromDate: string,
  toDate: string,
  watermarkMs: number,
  opts: RateOptions = {},
): Promise<RateSummary> {
  return runChunks(client, config, await rangeChunks(client, config, contracts, fromDate, toDate, watermarkMs), watermarkMs, opts);
}

/** The chunks `rateRange` rates: each contract's days in the range from its ledger start, by month. */
export async function rangeChunks(
  client: ClickHouseClient,
  config: ContractsConfig,
  contracts: readonly Contract[],
  fromDate: string,
  toDate: string,
  watermarkMs: number,
): Promise<RatingChunk[]> {
  const latenessMs = config.detection.allowed_lateness_ms;
  const firsts = await readFirstRecords(client);
  return contracts.flatMap((contract) => {
    const c = ratedContract(contract, firsts);
    if (c === null) return [];
    const from = fromDate > c.valid_from ? fromDate : c.valid_from;
    const to = toDate < c.valid_to ? toDate : c.valid_to;
    return planRating(c, datesBetween(from, to), watermarkMs, latenessMs);
  });
}
