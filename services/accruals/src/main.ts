import { TOPICS } from '@cxg/engine';
import { startWorker, type Endpoints, type RunningWorker } from '@cxg/platform';
import { VersionClock, closeLedger, configVersion, openLedger, recordConfigVersion } from '@cxg/ledger';
import { ACCRUALS_TOPICS, AccrualsHandler } from './handler.ts';
import { createAccrualsMetrics } from './metrics.ts';
import { ledgerRoutes } from './routes.ts';

export type { RunningWorker };

export interface AccrualsOptions {
  endpoints?: Endpoints;
  /** Consumer group; env CX_ACCRUALS_GROUP, default `cx-accruals`. */
  groupId?: string;
  /** env METRICS_PORT, default 9403; 0 picks a free port. */
  metricsPort?: number;
  /** Where a new consumer group starts (default: the beginning of every topic). */
  fromBeginning?: boolean;
  /** How often stored batches are rated and their offsets committed; env CX_RATING_INTERVAL_MS, default 500 ms. */
  ratingIntervalMs?: number;
}

/**
 * Wires the accruals worker: contacts, web journeys, customer events and signals → facts and the
 * accrual ledger in ClickHouse (docs/accruals.md). It dead-letters customer events only; the
 * detector owns the DLQ entries of contacts and web journeys, which it reads too.
 */
export function startAccruals(opts: AccrualsOptions = {}): Promise<RunningWorker> {
  return startWorker({
    name: 'accruals',
    endpoints: opts.endpoints,
    groupId: opts.groupId,
    metricsPort: opts.metricsPort,
    build: async ({ endpoints, settings, config, log, own }) => {
      const url = endpoints.clickhouseUrl;
      const client = own('clickhouse', await openLedger(url), (c) => closeLedger(c, url));
      const metrics = createAccrualsMetrics();
      const handler = new AccrualsHandler({ client, config, metrics, versions: new VersionClock(), log, now: Date.now });
      await handler.init();
      // Before the first rating, so every version a line's basis names is in the ledger.
      if (await recordConfigVersion(client, config)) log.info({ config_version: configVersion(config), file: config.file }, 'new config version recorded');
      await handler.settleConfigChange();
      return {
        topics: ACCRUALS_TOPICS,
        handler,
        metrics,
        // Statements while this process owns an embedded ClickHouse directory (`cxg statement` falls back to these).
        routes: ledgerRoutes({ client, clickhouseUrl: url, watermarkMs: () => handler.watermarkMs }),
        runner: {
          dlqTopics: [TOPICS.customers],
          fromBeginning: opts.fromBeginning ?? true,
          tickMs: opts.ratingIntervalMs ?? settings.accruals.ratingIntervalMs,
        },
        health: {
          clickhouse: async () => {
            const r = await client.ping();
            return r.success ? null : r.error.message;
          },
        },
        log: { message: 'accruals started', fields: () => ({ contracts: config.contracts.map((c) => c.id), config_version: configVersion(config), watermarkMs: handler.watermarkMs }) },
      };
    },
  });
}
