import type { Server } from 'node:http';
import { DEFAULT_IDLE_GRACE_MS, DEFAULT_MAX_TIMELINE_ENTRIES, MAX_SPAN_MS, TOPICS, detectionSettingsOf, type JourneySignal } from '@cxg/engine';
import {
  ConsumerRunner,
  createKafka,
  createLogger,
  createProducer,
  createRedis,
  loadContractsConfig,
  produceRecords,
  readEndpoints,
  Serde,
  startHealthServer,
  type Endpoints,
} from '@cxg/platform';
import { DETECTOR_TOPICS, DetectorHandler } from './detector.ts';
import { createDetectorMetrics } from './metrics.ts';
import { RedisDetectorStore } from './store.ts';

export interface DetectorOptions {
  endpoints?: Endpoints;
  groupId?: string;
  metricsPort?: number;
  /**
   * Wall-clock time beyond L that a partition must have been at its log end before the reorder
   * buffer stops waiting for it.
   */
  idleGraceMs?: number;
  /** Safety bound on one customer's timeline entries. */
  maxTimelineEntries?: number;
  /** How long event ids are remembered for duplicate detection. */
  dedupeTtlMs?: number;
}

export interface RunningWorker {
  stop(): Promise<void>;
  server: Server;
}

const DAY = 86_400_000;

/** Wires the detector: contacts + web journeys → JourneySignals (SPEC section 2). */
export async function startDetector(opts: DetectorOptions = {}): Promise<RunningWorker> {
  const endpoints = opts.endpoints ?? readEndpoints();
  const log = createLogger('detector', endpoints.logLevel);
  const config = loadContractsConfig(endpoints.configFile);
  const settings = detectionSettingsOf(config.detection);
  const metrics = createDetectorMetrics();
  const kafka = createKafka(endpoints, 'cx-detector', log);
  const serde = Serde.create(endpoints.schemaRegistryUrl);
  await serde.register(TOPICS.signals);
  const producer = await createProducer(kafka);
  const redis = createRedis(endpoints.redisUrl);
  const longestWindow = Math.max(settings.repeatWindowMs, settings.switchWindowMs);
  const store = new RedisDetectorStore(redis, {
    dedupeTtlMs: opts.dedupeTtlMs ?? Number(process.env.CX_DEDUPE_TTL_MS ?? 30 * DAY),
    timelineTtlMs: longestWindow + settings.allowedLatenessMs + MAX_SPAN_MS,
  });
  const handler = new DetectorHandler({
    store,
    emit: (signals: readonly JourneySignal[]) =>
      produceRecords(producer, serde, signals.map((s) => ({ topic: TOPICS.signals, key: s.customer_id, value: s }))),
    metrics,
    settings,
    maxTimelineEntries: opts.maxTimelineEntries ?? DEFAULT_MAX_TIMELINE_ENTRIES,
    now: Date.now,
  });
  const idleGraceMs = opts.idleGraceMs ?? Number(process.env.CX_IDLE_GRACE_MS ?? DEFAULT_IDLE_GRACE_MS);
  const runner = new ConsumerRunner({
    kafka, groupId: opts.groupId ?? process.env.CX_DETECTOR_GROUP ?? 'cx-detector', topics: DETECTOR_TOPICS, serde, producer, metrics, log, handler,
    // Quiet for L + grace: an event that happens after that arrives later than L behind anything seen.
    idleAfterMs: settings.allowedLatenessMs + idleGraceMs,
  });
  const server = await startHealthServer({
    port: opts.metricsPort ?? Number(process.env.METRICS_PORT ?? 9401),
    registry: metrics.registry,
    ready: async () => runner.isJoined && (await redis.ping()) === 'PONG',
  });
  await runner.start();
  log.info({ settings, port: (server.address() as { port: number }).port }, 'detector started');
  return {
    server,
    stop: async () => {
      await runner.stop();
      await producer.disconnect();
      redis.disconnect();
      server.close();
    },
  };
}
