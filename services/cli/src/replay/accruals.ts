/**
 * The accrual stage of `cxg replay` (docs/replay.md): the replay's accepted facts and signals go
 * to ClickHouse, every contract day up to the replay's watermark is rated with the worker's own
 * rateRange, and the ledger and the monthly KPIs are read back for the report.
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
  readLines,
  recordConfigVersion,
  resetDatabase,
  saveWatermark,
  VersionClock,
  type ProviderMonth,
  type RateSummary,
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
    await insertFacts(client, result.accepted.map((event) => ({ topic: topicOf(event), event, source: 'replay' })), versions.next());
    await insertSignals(client, result.signals, versions.next());
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
    const monthly = await monthlyKpiCounters(client, config.timezone, config.service_level_seconds);
    return { url, lines, monthly, rating };
  } finally {
    await closeLedger(client, url);
  }
}
