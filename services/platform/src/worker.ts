/**
 * The one bootstrap of the three workers: settings, logger, contracts config, Kafka, serde and the
 * producer, then the worker's own parts (`build`: stores, handler, metrics, routes), then the
 * ConsumerRunner and the health server, start, and one log line. What the worker opens goes through
 * the context (`redis()`, `own()`), so stop releases all of it, and a start that fails releases
 * what it had opened so far.
 */
import type { Server } from 'node:http';
import type { Kafka, Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { ContractsConfig } from '@cxg/engine';
import { loadContractsConfig } from './config.ts';
import { readEndpoints, type Endpoints } from './env.ts';
import { HealthMonitor, type HealthCheck } from './health.ts';
import { startHealthServer, type Route } from './http.ts';
import { createKafka, createProducer } from './kafka.ts';
import { createLogger, type Logger } from './logger.ts';
import type { PipelineMetrics } from './metrics.ts';
import { createRedis } from './redis.ts';
import { ConsumerRunner, type BatchHandler, type RunnerOptions } from './runner.ts';
import { Serde } from './serde.ts';
import { readWorkerSettings, type WorkerName, type WorkerSettings } from './settings.ts';

export interface RunningWorker {
  /** Stops consuming (the batch in flight finishes and commits), then releases everything the worker opened. */
  stop(): Promise<void>;
  server: Server;
  /**
   * Settles when the consumer crashed for good (kafkajs will not restart it): the process should
   * stop the worker and exit non-zero so that its supervisor starts it again (`cxg run` does).
   */
  fatal: Promise<Error>;
}

/** What the shared wiring hands a worker's `build`. */
export interface WorkerContext {
  name: WorkerName;
  endpoints: Endpoints;
  /** Every worker's settings, validated; the worker reads its own section. */
  settings: WorkerSettings;
  log: Logger;
  config: ContractsConfig;
  serde: Serde;
  /** Connected idempotent producer; stop disconnects it. */
  producer: Producer;
  /** Opens a connection to REDIS_URL; stop disconnects it. */
  redis(): Redis;
  /** Hands something the worker opened to the worker's lifetime: `release` runs at stop, or when start fails later. */
  own<T>(what: string, resource: T, release: (resource: T) => unknown): T;
}

/** The worker's own parts, as `build` returns them. */
export interface WorkerParts {
  /** The logical topics it reads (`TOPICS`); the start log line names their Kafka topics. */
  topics: readonly string[];
  handler: BatchHandler;
  metrics: PipelineMetrics;
  /**
   * The worker's stores, probed every second within CHECK_TIMEOUT_MS (beside the broker, which the
   * runner watches): each resolves to null when it answers, else a reason. Ready = all answer.
   */
  health: Record<string, HealthCheck>;
  /** Extra JSON routes of the health server. */
  routes?: Record<string, Route>;
  /** Runner options of this worker's own. */
  runner?: Pick<RunnerOptions, 'dlqTopics' | 'fromBeginning' | 'tickMs' | 'idleAfterMs' | 'state'>;
  /** Runs once the runner consumes (a refresh timer, say); its stop belongs to `own`. */
  started?(): void;
  /** The start log line; its fields are taken once the runner started, and the group and port are added. */
  log: { message: string; fields?(): Record<string, unknown> };
}

export interface WorkerOptions {
  name: WorkerName;
  /** Default: `readEndpoints()`. */
  endpoints?: Endpoints;
  /** Default: `readWorkerSettings()`, read before anything is built. */
  settings?: WorkerSettings;
  /** Default: the worker's group in the settings. */
  groupId?: string;
  /** Default: the worker's port in the settings; 0 picks a free port. */
  metricsPort?: number;
  build(ctx: WorkerContext): Promise<WorkerParts>;
}

/** What start connects; tests replace it to see what stop releases without a broker. */
export interface WorkerIo {
  createProducer(kafka: Kafka): Promise<Producer>;
  createRedis(url: string): Redis;
  createRunner(opts: RunnerOptions): Pick<ConsumerRunner, 'start' | 'stop' | 'brokerHealth' | 'stateHealth' | 'fatal'>;
}

const IO: WorkerIo = { createProducer, createRedis, createRunner: (opts) => new ConsumerRunner(opts) };

/**
 * What a worker holds, released last-opened first. Every release runs even when another fails;
 * the failures come back together as one AggregateError naming each.
 */
export class Lifetime {
  private readonly held: Array<{ what: string; release: () => unknown }> = [];

  constructor(private readonly name: string) {}

  own<T>(what: string, resource: T, release: (resource: T) => unknown): T {
    this.held.push({ what, release: () => release(resource) });
    return resource;
  }

  async release(): Promise<void> {
    const errors: Error[] = [];
    for (const { what, release } of this.held.splice(0).reverse()) {
      try {
        await release();
      } catch (err) {
        errors.push(new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${this.name}: releasing failed (${errors.map((e) => e.message).join('; ')})`);
  }
}

export async function startWorker(opts: WorkerOptions, io: WorkerIo = IO): Promise<RunningWorker> {
  const { name } = opts;
  const settings = opts.settings ?? readWorkerSettings();
  const endpoints = opts.endpoints ?? readEndpoints();
  const log = createLogger(name, endpoints.logLevel);
  const config = loadContractsConfig(endpoints.configFile);
  const lifetime = new Lifetime(`${name} worker`);
  try {
    const kafka = createKafka(endpoints, `cx-${name}`, log);
    // The one TopicNames of the process: the serde (subjects, produceRecords) and the runner translate with it.
    const serde = Serde.create(endpoints.schemaRegistryUrl, { pseudonymKey: endpoints.pseudonymKey ?? null, names: settings.topics });
    const producer = lifetime.own('kafka producer', await io.createProducer(kafka), (p) => p.disconnect());
    const parts = await opts.build({
      name,
      endpoints,
      settings,
      log,
      config,
      serde,
      producer,
      redis: () => lifetime.own('redis', io.createRedis(endpoints.redisUrl), (r) => r.disconnect()),
      own: (what, resource, release) => lifetime.own(what, resource, release),
    });
    const groupId = opts.groupId ?? settings[name].groupId;
    const runner = io.createRunner({
      kafka,
      groupId,
      topics: parts.topics,
      names: settings.topics,
      serde,
      producer,
      metrics: parts.metrics,
      log,
      handler: parts.handler,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      ...parts.runner,
    });
    const monitor = new HealthMonitor(
      { kafka: async () => runner.brokerHealth(), ...parts.health, ...(parts.runner?.state ? { state: async () => runner.stateHealth() } : {}) },
      { metrics: parts.metrics, log },
    );
    const server = lifetime.own(
      'health server',
      await startHealthServer({
        port: opts.metricsPort ?? settings[name].metricsPort,
        registry: parts.metrics.registry,
        readiness: () => monitor.down(),
        ...(parts.routes ? { routes: parts.routes } : {}),
      }),
      (s) => void s.close(),
    );
    lifetime.own('health monitor', monitor, (m) => m.stop());
    // Released first: stops fetching and lets the batch in flight finish and commit while the stores are still open.
    lifetime.own('consumer', runner, (r) => r.stop());
    // The monitor first: kafkajs's run() returns only after the first join, which a killed
    // predecessor's session can hold up for its whole timeout, and /readyz must say 503 meanwhile.
    await monitor.start();
    await runner.start();
    parts.started?.();
    const address = server.address();
    log.info(
      {
        ...parts.log.fields?.(),
        groupId,
        kafkaTopics: Object.fromEntries(parts.topics.map((t) => [t, settings.topics.physical(t)])),
        port: typeof address === 'object' && address !== null ? address.port : address,
      },
      parts.log.message,
    );
    let stopping: Promise<void> | null = null;
    return { server, fatal: runner.fatal, stop: () => (stopping ??= lifetime.release()) };
  } catch (err) {
    await lifetime.release().catch((releaseErr: unknown) => log.error({ err: releaseErr }, 'releasing what the failed start had opened failed too'));
    throw err;
  }
}
