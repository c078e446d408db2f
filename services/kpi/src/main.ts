import type { Server } from 'node:http';
import { TOPICS, kpiSettingsOf, type KpiAlert, type Topic } from '@cxg/engine';
import {
  ConsumerRunner,
  createKafka,
  createLogger,
  createProducer,
  createRedis,
  loadContractsConfig,
  loadSchema,
  produceRecords,
  readEndpoints,
  Serde,
  startHealthServer,
  type Endpoints,
} from '@cxg/platform';
import { AlertStore, Alerter } from './alerts.ts';
import { KpiHandler } from './handler.ts';
import { DEFAULT_KEY_PREFIX, KpiKeys } from './keys.ts';
import { createKpiMetrics } from './metrics.ts';
import { KpiReader } from './reader.ts';
import { KpiRefresher } from './refresh.ts';
import { kpisDocument, parseWindows } from './report.ts';
import { RedisKpiStore } from './store.ts';
import { DEFAULT_KPI_TOPICS, inputTopics, type KpiTopics } from './topics.ts';
import { AlertWebhook } from './webhook.ts';

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
  /** Topic names (tests run on topics of their own); defaults are SPEC section 1's. */
  topics?: Partial<KpiTopics>;
}

export interface RunningWorker {
  stop(): Promise<void>;
  server: Server;
}

const DAY = 86_400_000;

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a non-negative number (got ${raw})`);
  return n;
}

/** Wires the KPI worker: contacts + signals + web journeys → rolling KPIs in Redis, metrics, alerts (SPEC section 3). */
export async function startKpi(opts: KpiOptions = {}): Promise<RunningWorker> {
  const endpoints = opts.endpoints ?? readEndpoints();
  const log = createLogger('kpi', endpoints.logLevel);
  const config = loadContractsConfig(endpoints.configFile);
  const topics: KpiTopics = { ...DEFAULT_KPI_TOPICS, ...opts.topics };
  const metrics = createKpiMetrics();
  const kafka = createKafka(endpoints, 'cx-kpi', log);
  const serde = Serde.create(endpoints.schemaRegistryUrl);
  // A renamed topic still carries the SPEC's record: prime the reader schema under its name.
  const logical: Record<keyof KpiTopics, Topic> = { contacts: TOPICS.contacts, signals: TOPICS.signals, web: TOPICS.web, alerts: TOPICS.alerts };
  for (const [role, name] of Object.entries(topics) as [keyof KpiTopics, string][]) {
    if (name !== logical[role]) serde.reader(name, loadSchema(logical[role]));
  }
  await serde.register(topics.alerts, loadSchema(TOPICS.alerts));
  const producer = await createProducer(kafka);
  const redis = createRedis(endpoints.redisUrl);
  const keys = new KpiKeys(opts.keyPrefix ?? process.env.CX_KPI_KEY_PREFIX ?? DEFAULT_KEY_PREFIX);
  const store = new RedisKpiStore(redis, { keys, dedupeTtlMs: opts.dedupeTtlMs ?? numberEnv('CX_DEDUPE_TTL_MS', 30 * DAY) });
  const reader = new KpiReader(redis, keys);
  const webhookUrl = opts.webhookUrl === undefined ? (process.env.CX_ALERT_WEBHOOK_URL ?? null) : opts.webhookUrl;
  const webhook = webhookUrl ? new AlertWebhook({ url: webhookUrl, log }) : null;
  const alerter = new Alerter({
    store: new AlertStore(redis, keys),
    contracts: config.contracts,
    emit: (alerts: readonly KpiAlert[]) => produceRecords(producer, serde, alerts.map((a) => ({ topic: topics.alerts, key: a.provider_id, value: a }))),
    webhook,
    metrics,
    log,
  });
  const refresher = new KpiRefresher({ reader, metrics, alerter, log, intervalMs: opts.refreshMs ?? numberEnv('CX_KPI_REFRESH_MS', 5000) });
  const handler = new KpiHandler({
    store,
    topics,
    settings: kpiSettingsOf(config),
    allowedLatenessMs: config.detection.allowed_lateness_ms,
    metrics,
    log,
    now: Date.now,
  });
  const groupId = opts.groupId ?? process.env.CX_KPI_GROUP ?? 'cx-kpi';
  // The detector owns the DLQ entries of contacts and web; signals are our own output. Rejects are counted only.
  const runner = new ConsumerRunner({ kafka, groupId, topics: inputTopics(topics), serde, producer, metrics, log, handler, dlqTopics: [] });
  const server = await startHealthServer({
    port: opts.metricsPort ?? numberEnv('METRICS_PORT', 9402),
    registry: metrics.registry,
    ready: async () => runner.isJoined && (await redis.ping()) === 'PONG',
    routes: {
      '/kpis': async (_req, url) => {
        const windows = parseWindows(url.searchParams.get('window'));
        if (windows === null) return { status: 400, body: { error: 'window: expected 1h, 24h or 7d' } };
        const provider = url.searchParams.get('provider') || undefined;
        return { status: 200, body: kpisDocument(await reader.read(windows), { windows, ...(provider ? { provider } : {}) }) };
      },
    },
  });
  await runner.start();
  refresher.start();
  log.info({ groupId, topics, keyPrefix: keys.prefix, port: (server.address() as { port: number }).port, webhook: webhook !== null }, 'kpi worker started');
  return {
    server,
    stop: async () => {
      await runner.stop();
      await refresher.stop();
      await webhook?.drain();
      await producer.disconnect();
      redis.disconnect();
      server.close();
    },
  };
}
