import type { Server } from 'node:http';
import { TOPICS } from '@cxg/engine';
import { ConsumerRunner, createKafka, createLogger, createProducer, loadContractsConfig, readEndpoints, Serde, startHealthServer, type Endpoints } from '@cxg/platform';
import { VersionClock, closeLedger, openLedger } from '@cxg/ledger';
import { ACCRUALS_TOPICS, AccrualsHandler } from './handler.ts';
import { createAccrualsMetrics } from './metrics.ts';

export interface AccrualsOptions {
  endpoints?: Endpoints;
  /** Consumer group; env CX_ACCRUALS_GROUP, default `cx-accruals`. */
  groupId?: string;
  metricsPort?: number;
  /** Where a new consumer group starts (default: the beginning of every topic). */
  fromBeginning?: boolean;
  /** How often stored batches are rated and their offsets committed; env CX_RATING_INTERVAL_MS, default 500 ms. */
  ratingIntervalMs?: number;
}

export interface RunningWorker {
  stop(): Promise<void>;
  server: Server;
}

/**
 * Wires the accruals worker: contacts, web journeys, customer events and signals → facts and the
 * accrual ledger in ClickHouse (SPEC section 5). It dead-letters customer events only; the
 * detector owns the DLQ entries of contacts and web journeys, which it reads too.
 */
export async function startAccruals(opts: AccrualsOptions = {}): Promise<RunningWorker> {
  const endpoints = opts.endpoints ?? readEndpoints();
  const log = createLogger('accruals', endpoints.logLevel);
  const config = loadContractsConfig(endpoints.configFile);
  const client = await openLedger(endpoints.clickhouseUrl);
  const metrics = createAccrualsMetrics();
  const handler = new AccrualsHandler({ client, config, metrics, versions: new VersionClock(), log, now: Date.now });
  await handler.init();
  const kafka = createKafka(endpoints, 'cx-accruals', log);
  const serde = Serde.create(endpoints.schemaRegistryUrl);
  const producer = await createProducer(kafka);
  const runner = new ConsumerRunner({
    kafka,
    groupId: opts.groupId ?? process.env.CX_ACCRUALS_GROUP ?? 'cx-accruals',
    topics: ACCRUALS_TOPICS,
    serde,
    producer,
    metrics,
    log,
    handler,
    dlqTopics: [TOPICS.customers],
    fromBeginning: opts.fromBeginning ?? true,
    tickMs: opts.ratingIntervalMs ?? Number(process.env.CX_RATING_INTERVAL_MS ?? 500),
  });
  const server = await startHealthServer({
    port: opts.metricsPort ?? Number(process.env.METRICS_PORT ?? 9403),
    registry: metrics.registry,
    ready: async () => runner.isJoined && (await client.ping()).success,
  });
  await runner.start();
  log.info({ contracts: config.contracts.map((c) => c.id), watermarkMs: handler.watermarkMs, port: (server.address() as { port: number }).port }, 'accruals started');
  return {
    server,
    stop: async () => {
      await runner.stop();
      await producer.disconnect();
      await closeLedger(client, endpoints.clickhouseUrl);
      server.close();
    },
  };
}
