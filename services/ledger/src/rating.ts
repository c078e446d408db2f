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
  LineRangeError,
  rateDay,
  type AccrualLine,
  type Contract,
  type ContractsConfig,
  type Count,
} from '@cxg/engine';
import type { ClickHouseClient } from './clickhouse.ts';
import { loadDayFacts } from './aggregate.ts';
import { writeLines, type LedgerLine } from './ledger.ts';
import { readFirstRecords, ratedContract } from './ledger-start.ts';
import { planRating, type RatingChunk } from './plan.ts';
import { VersionClock } from './version.ts';
import { configVersion } from './config-version.ts';

export interface RateOptions {
  /** Shared by a process so its versions only grow; a fresh clock by default. */
  versions?: VersionClock;
  /** Called after each chunk (one month of one contract). */
  onProgress?: (done: number, total: number, chunk: RatingChunk) => void;
  /**
   * A chunk holding a line that cannot be booked (LineRangeError: an amount beyond the signed
   * 64-bit range of cents): without this the rating stops and throws it; with it the chunk writes
   * nothing (its month keeps its previous lines), this is called, and the other chunks are rated.
   */
  onLineError?: (err: LineRangeError, chunk: RatingChunk) => void;
}

export interface RateSummary {
  /** (contract, month) chunks rated */
  chunks: number;
  days: number;
  lines: number;
  /** `<contract_id>:<YYYY-MM>` of every month whose close lines were written */
  closedMonths: string[];
  /** chunks not written because a line could not be booked (only with `onLineError`) */
  failed: Array<{ contract_id: string; month: string; error: LineRangeError }>;
}

/** Status by the watermark; the basis names the config version the line was rated under. */
const asBooked = (contract: Contract, lines: AccrualLine[], watermarkMs: number, latenessMs: number, version: string): LedgerLine[] =>
  lines.map((l) => ({ ...l, basis: { ...l.basis, config_version: version }, status: accrualStatus(contract, l.date, watermarkMs, latenessMs) }));

/**
 * The lines of one chunk computed from the facts, with status by `watermarkMs`, without writing
 * them: rating writes these, `cxg whatif` compares them under another contracts file.
 */
export async function computeChunk(client: ClickHouseClient, config: ContractsConfig, chunk: RatingChunk, watermarkMs: number): Promise<LedgerLine[]> {
  const { contract, month, dates, close } = chunk;
  const facts = await loadDayFacts(client, config, contract, dates);
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

/** Rates one chunk and writes its lines under one version taken before reading the facts. */
async function rateChunk(
  client: ClickHouseClient,
  config: ContractsConfig,
  chunk: RatingChunk,
  watermarkMs: number,
  versions: VersionClock,
): Promise<LedgerLine[]> {
  const version = versions.next();
  const out = await computeChunk(client, config, chunk, watermarkMs);
  await writeLines(client, out, version);
  return out;
}

async function runChunks(client: ClickHouseClient, config: ContractsConfig, chunks: RatingChunk[], watermarkMs: number, opts: RateOptions): Promise<RateSummary> {
  const versions = opts.versions ?? new VersionClock();
  const summary: RateSummary = { chunks: 0, days: 0, lines: 0, closedMonths: [], failed: [] };
  for (const chunk of chunks) {
    let lines: LedgerLine[];
    try {
      lines = await rateChunk(client, config, chunk, watermarkMs, versions);
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
