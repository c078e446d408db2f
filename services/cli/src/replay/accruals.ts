/**
 * The accrual stage of `cxg replay` (docs/replay.md): the replay's accepted facts and signals go
 * to ClickHouse, each with its arrival in input order (a late record becomes an adjustment, as in
 * the worker), every contract day up to the replay's watermark is rated with the worker's own
 * rateRange, and the ledger (lines, adjustments) and the monthly KPIs are read back for the report.
 *
 * The target database holds exactly one replay: its facts, ledger and watermark are emptied
 * first. Hence the default is a replay-only embedded directory (never the worker's), and the
 * worker's CLICKHOUSE_URL is refused as a target.
 */
import { join } from 'node:path';
import { TOPICS, type ContractsConfig, type InputTopic, type ReplayResult } from '@cxg/engine';
import {
  closeLedger,
  insertFacts,
  insertSignals,
  monthlyKpiCounters,
  openLedger,
  rateRange,
  readAdjustments,
  readLines,
  recordConfigVersion,
  resetDatabase,
  saveWatermark,
  VersionClock,
  type ProviderMonth,
  type RateSummary,
  type StoredAdjustment,
  type StoredLine,
} from '@cxg/ledger';
import { STATE_DIR, readEndpoints } from '@cxg/platform';

export const DEFAULT_REPLAY_CLICKHOUSE = `chdb://${join(STATE_DIR, 'replay', 'clickhouse')}`;

export class ReplayTargetError extends Error {
  override readonly name = 'ReplayTargetError';
}

export interface ReplayAccruals {
  url: string;
  lines: StoredLine[];
  adjustments: StoredAdjustment[];
  monthly: ProviderMonth[];
  rating: RateSummary | null;
}

function topicOf(event: object): InputTopic {
  if ('contact_id' in event) return TOPICS.contacts;
  if ('session_id' in event) return TOPICS.web;
  return TOPICS.customers;
}

export async function replayAccruals(
  url: string,
  config: ContractsConfig,
  result: ReplayResult,
  onProgress?: (done: number, total: number, label: string) => void,
): Promise<ReplayAccruals> {
  if (url === readEndpoints().clickhouseUrl) {
    throw new ReplayTargetError(`--clickhouse ${url} is the accrual worker's database (CLICKHOUSE_URL); a replay empties its target, so give it its own`);
  }
  const client = await openLedger(url);
  try {
    await resetDatabase(client);
    await recordConfigVersion(client, config);
    const versions = new VersionClock();
    await insertFacts(client, result.accepted.map((event) => ({ topic: topicOf(event), event, source: 'replay', arrivedMs: result.arrivedMs.get(event) })), versions.next());
    // a signal arrives with its contact: the detector emits it when it reads the contact
    const contactArrivals = new Map(result.accepted.filter((e) => 'contact_id' in e).map((e) => [e.event_id, result.arrivedMs.get(e)!]));
    const signalArrivals = new Map(result.signals.map((s) => [s.signal_id, contactArrivals.get(s.contact_event_id) ?? s.contact_ended_at]));
    await insertSignals(client, result.signals, versions.next(), signalArrivals);
    let rating: RateSummary | null = null;
    if (result.watermarkMs !== null) {
      await saveWatermark(client, result.watermarkMs);
      const from = config.contracts.reduce((m, c) => (c.valid_from < m ? c.valid_from : m), '9999-12-31');
      const to = config.contracts.reduce((m, c) => (c.valid_to > m ? c.valid_to : m), '0000-01-01');
      rating = await rateRange(client, config, config.contracts, from, to, result.watermarkMs, {
        versions,
        onProgress: (done, total, chunk) => onProgress?.(done, total, `${chunk.contract.id} ${chunk.month}`),
      });
    }
    const lines = await readLines(client);
    const adjustments = await readAdjustments(client);
    const monthly = await monthlyKpiCounters(client, config.timezone, config.service_level_seconds);
    return { url, lines, adjustments, monthly, rating };
  } finally {
    await closeLedger(client, url);
  }
}
