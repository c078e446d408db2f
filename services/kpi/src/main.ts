import { BUCKET_TTL_MS, TOPICS, kpiSettingsOf, type KpiAlert } from '@cxg/engine';
import { pingRedis, produceRecords, redisEpochStore, startWorker, type Endpoints, type RunningWorker } from '@cxg/platform';
import { AlertStore, Alerter } from './alerts.ts';
import { KpiHandler } from './handler.ts';
import { KpiKeys } from './keys.ts';
import { createKpiMetrics } from './metrics.ts';
import { KpiReader } from './reader.ts';
import { KpiRefresher } from './refresh.ts';
import { kpisDocument, parseWindows } from './report.ts';
import { RedisKpiStore } from './store.ts';
import { DEFAULT_KPI_TOPICS, inputTopics } from './topics.ts';
import { AlertWebhook } from './webhook.ts';

export type { RunningWorker };

export interface KpiOptions {
  endpoints?: Endpoints;
  /** Consumer group; env CX_KPI_GROUP, default `cx-kpi`. */
  groupId?: string;
  /** env METRICS_PORT, default 9402; 0 picks a free port. */
  metricsPort?: number;
  /** Prefix of every Redis key; env CX_KPI_KEY_PREFIX, default `cx:kpi:`. */
  keyPrefix?: string;
  /** How long accepted ids are remembered; env CX_DEDUPE_TTL_MS (shared with the detector), default 30 d. */
  dedupeTtlMs?: number;
  /** Gauge refresh and alert evaluation interval; env CX_KPI_REFRESH_MS, default 5 s. */
  refreshMs?: number;
  /** env CX_ALERT_WEBHOOK_URL; unset = no webhook. */
  webhookUrl?: string | null;
}

/** Wires the KPI worker: contacts + signals + web journeys → rolling KPIs in Redis, metrics, alerts (docs/kpis.md). */
export function startKpi(opts: KpiOptions = {}): Promise<RunningWorker> {
  // Logical topics: their Kafka names are the settings' (CX_TOPIC_PREFIX, CX_TOPIC_*), translated by the serde and the runner.
  const topics = DEFAULT_KPI_TOPICS;
  return startWorker({
    name: 'kpi',
    endpoints: opts.endpoints,
    groupId: opts.groupId,
    metricsPort: opts.metricsPort,
    build: async ({ settings: all, config, serde, producer, log, redis, own }) => {
      const metrics = createKpiMetrics();
      await serde.register(TOPICS.alerts);
      const connection = redis();
      const keys = new KpiKeys(opts.keyPrefix ?? all.kpi.keyPrefix);
      const store = new RedisKpiStore(connection, { keys, dedupeTtlMs: opts.dedupeTtlMs ?? all.dedupeTtlMs });
      const reader = new KpiReader(connection, keys);
      const webhookUrl = opts.webhookUrl === undefined ? all.kpi.alertWebhookUrl : opts.webhookUrl;
      const webhook = webhookUrl ? own('alert webhook', new AlertWebhook({ url: webhookUrl, log }), (w) => w.drain()) : null;
      const alerter = new Alerter({
        store: new AlertStore(connection, keys),
        contracts: config.contracts,
        emit: (alerts: readonly KpiAlert[]) => produceRecords(producer, serde, alerts.map((a) => ({ topic: topics.alerts, key: a.provider_id, value: a }))),
        webhook,
        metrics,
        log,
      });
      // Stopped before the webhook drains and the connections close: a refresh in flight may still alert.
      const refresher = own('kpi refresher', new KpiRefresher({ reader, metrics, alerter, log, intervalMs: opts.refreshMs ?? all.kpi.refreshMs }), (r) => r.stop());
      const handler = new KpiHandler({
        store,
        topics,
        settings: kpiSettingsOf(config),
        allowedLatenessMs: config.detection.allowed_lateness_ms,
        metrics,
        log,
        now: Date.now,
      });
      return {
        topics: inputTopics(topics),
        handler,
        metrics,
        // The detector owns the DLQ entries of contacts and web; signals are our own output. Rejects are counted only.
        runner: {
          dlqTopics: [],
          // Buckets live this long, so re-reading this much rebuilds everything a window can still read.
          state: { epochs: redisEpochStore(connection, (p) => keys.epoch(p)), rebuildSpanMs: BUCKET_TTL_MS.h, clear: (ps) => store.clearPartitions(ps) },
        },
        health: { redis: () => pingRedis(connection) },
        routes: {
          '/kpis': async (_req, url) => {
            const windows = parseWindows(url.searchParams.get('window'));
            if (windows === null) return { status: 400, body: { error: 'window: expected 1h, 24h or 7d' } };
            const provider = url.searchParams.get('provider') || undefined;
            return { status: 200, body: kpisDocument(await reader.read(windows), { windows, ...(provider ? { provider } : {}) }) };
          },
        },
        started: () => refresher.start(),
        log: { message: 'kpi worker started', fields: () => ({ keyPrefix: keys.prefix, webhook: webhook !== null }) },
      };
    },
  });
}
