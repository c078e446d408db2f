// `cxg stack up|down|status` as a module: a real local stack from packages, no Docker.
//   Kafka (KRaft, Maven Central jars)     KAFKA_BROKERS        127.0.0.1:9092
//   Apicurio Registry (ccompat API)       SCHEMA_REGISTRY_URL  http://127.0.0.1:8081/apis/ccompat/v7
//   Redis (reused if it answers)          REDIS_URL            redis://127.0.0.1:6379
//   ClickHouse (embedded chdb)            CLICKHOUSE_URL       chdb://<repo>/.cxg/clickhouse
// Downloads are cached in ~/.cache/cx-gainshare; state, logs and pid files live in <repo>/.cxg/stack.
// Every step is idempotent; `up` returns only when every service answers its health check.
import { join } from 'node:path';
import { artifactPaths, ensureArtifacts, haveKafka, haveRegistry, type ArtifactPaths } from './artifacts.ts';
import { findRepoRoot, managedServices, redisTarget, stackEnv, stackPorts, stateDir, type StackEnv } from './env.ts';
import { clickhouseStatus } from './clickhouse.ts';
import { kafkaDown, kafkaPid, kafkaStatus, kafkaUp } from './kafka.ts';
import { findJava, findMaven, findRedisServer, HINTS, KAFKA_MIN_JAVA, REGISTRY_MIN_JAVA, type JavaRuntime } from './prereq.ts';
import { portOpen, StackError, withLock } from './proc.ts';
import { redisDown, redisStatus, redisUp } from './redis.ts';
import { registryDown, registryPid, registryStatus, registryUp } from './registry.ts';
import type { ServiceName, ServiceStatus, StackContext, StackOptions } from './types.ts';

export { stackEnv, stackPorts, cacheDir, stateDir, findRepoRoot, DEFAULT_PORTS } from './env.ts';
export type { StackEnv, StackPorts } from './env.ts';
export type { ServiceName, ServiceState, ServiceStatus, StackOptions } from './types.ts';
export { StackError } from './proc.ts';

function context(opts: StackOptions = {}): StackContext {
  const env = stackEnv();
  const ports = stackPorts();
  const state = stateDir();
  const seconds = Number(process.env.CXG_STACK_TIMEOUT || 240);
  return {
    root: findRepoRoot(),
    state,
    logs: join(state, 'logs'),
    env,
    ports,
    managed: managedServices(env, ports),
    timeoutMs: (Number.isFinite(seconds) && seconds > 0 ? seconds : 240) * 1000,
    log: opts.log ?? (() => {}),
  };
}

function once<T>(fn: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value;
  };
}

/**
 * Brings the stack up (idempotent): reuses or starts Redis, starts Kafka and the registry unless ours
 * already run (both at once), downloads their jars first if the cache is cold. Resolves to the
 * environment values once every service is healthy; throws StackError with what to do otherwise.
 */
export async function stackUp(opts: StackOptions = {}): Promise<StackEnv> {
  const ctx = context(opts);
  const t0 = Date.now();
  await withLock(join(ctx.state, '.lock'), async () => {
    // Preflight: find out what has to start, then report every missing prerequisite at once.
    const [kafkaNow, registryNow, redisNow] = await Promise.all([kafkaStatus(ctx), registryStatus(ctx), redisStatus(ctx)]);
    const startKafka = ctx.managed.kafka && kafkaNow.state !== 'healthy' && kafkaPid(ctx) === undefined;
    const startRegistry = ctx.managed.registry && registryNow.state !== 'healthy' && registryPid(ctx) === undefined;
    const redisPort = redisTarget(ctx.env.REDIS_URL).port;
    const startRedis = ctx.managed.redis && redisNow.state === 'down' && !(await portOpen(redisPort));
    const a = artifactPaths();
    const missing: string[] = [];
    const java17 = startKafka ? findJava(KAFKA_MIN_JAVA) : undefined;
    const java21 = startRegistry ? findJava(REGISTRY_MIN_JAVA, { overrideVar: 'CXG_REGISTRY_JAVA_HOME', preferNewest: true }) : undefined;
    if (startKafka && !java17) missing.push(HINTS.java17);
    if (startRegistry && !java21) missing.push(HINTS.java21);
    if (((startKafka && !haveKafka(a)) || (startRegistry && !haveRegistry(a))) && !findMaven()) missing.push(HINTS.mvn);
    if (startRedis && !findRedisServer()) missing.push(HINTS.redis(redisPort));
    if (missing.length) throw new StackError(missing.join('\n'));

    for (const [svc, st] of [['kafka', kafkaNow], ['registry', registryNow]] as const) {
      if (!ctx.managed[svc] && st.state !== 'healthy') {
        const variable = svc === 'kafka' ? 'KAFKA_BROKERS' : 'SCHEMA_REGISTRY_URL';
        throw new StackError(`${svc}: ${variable}=${st.url} names a service outside the local stack and it is not healthy (${st.detail ?? st.state}); unset ${variable} to use the local one`);
      }
    }

    const redis = await redisUp(ctx);
    if (redis === 'reused') ctx.log(`redis: reusing the Redis that answers at ${ctx.env.REDIS_URL} (not started by cxg stack; down leaves it running)`);

    const artifacts = once(() => ensureArtifacts({ kafka: startKafka, registry: startRegistry }, ctx.log));
    // resolved lazily: a service that is already running needs no Java lookup (each costs a JVM start)
    const java = (preflight: JavaRuntime | undefined, find: () => JavaRuntime | undefined, hint: string) => (): JavaRuntime => {
      const j = preflight ?? find();
      if (!j) throw new StackError(hint);
      return j;
    };
    const results = await Promise.allSettled([
      ctx.managed.kafka ? kafkaUp(ctx, java(java17, () => findJava(KAFKA_MIN_JAVA), HINTS.java17), artifacts) : Promise.resolve('external' as const),
      ctx.managed.registry
        ? registryUp(ctx, java(java21, () => findJava(REGISTRY_MIN_JAVA, { overrideVar: 'CXG_REGISTRY_JAVA_HOME', preferNewest: true }), HINTS.java21), artifacts)
        : Promise.resolve('external' as const),
    ]);
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    if (errors.length) {
      if (errors.length === 1 && errors[0] instanceof StackError) throw errors[0];
      throw new StackError(errors.map((e) => e.message).join('\n'));
    }
    const [k, r] = results.map((x) => (x.status === 'fulfilled' ? x.value : ''));
    if (k === 'running') ctx.log(`kafka: already running (pid ${kafkaPid(ctx)})`);
    if (r === 'running') ctx.log(`registry: already running (pid ${registryPid(ctx)})`);
    if (redis === 'running') ctx.log('redis: already running (started by cxg stack)');
  }, ctx.log);
  ctx.log(`stack: up in ${((Date.now() - t0) / 1000).toFixed(1)} s (logs in ${ctx.logs})`);
  return ctx.env;
}

export interface DownResult {
  service: ServiceName;
  result: 'stopped' | 'killed' | 'not ours';
}

/** Stops what `up` started (per pid file), registry first; never a Redis it found running. */
export async function stackDown(opts: StackOptions = {}): Promise<DownResult[]> {
  const ctx = context(opts);
  return withLock(join(ctx.state, '.lock'), async () => {
    const out: DownResult[] = [];
    out.push({ service: 'registry', result: await registryDown(ctx) });
    out.push({ service: 'kafka', result: await kafkaDown(ctx) });
    out.push({ service: 'redis', result: await redisDown(ctx) });
    return out;
  }, ctx.log);
}

/** Health of every service, checked now (no lock: safe while `up` runs). */
export async function stackStatus(opts: StackOptions = {}): Promise<ServiceStatus[]> {
  const ctx = context(opts);
  return Promise.all([kafkaStatus(ctx), registryStatus(ctx), redisStatus(ctx), clickhouseStatus(ctx)]);
}

/** Where the downloads are cached (for docs and `status --json`). */
export function stackArtifacts(): ArtifactPaths {
  return artifactPaths();
}
