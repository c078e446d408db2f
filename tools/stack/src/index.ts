// `cxg stack up|down|status` as a module: a real local stack from packages, no Docker.
//   Kafka (KRaft, Maven Central jars)     KAFKA_BROKERS        127.0.0.1:9092
//   Apicurio Registry (ccompat API)       SCHEMA_REGISTRY_URL  http://127.0.0.1:8081/apis/ccompat/v7
//   Redis (reused if it answers)          REDIS_URL            redis://127.0.0.1:6379
//   ClickHouse (embedded chdb)            CLICKHOUSE_URL       chdb://<repo>/.cxg/clickhouse
// (the defaults: @cxg/platform's env.ts defines them). Downloads are cached in ~/.cache/cx-gainshare;
// state, logs and pid files live in <repo>/.cxg/stack. Every step is idempotent; `up` returns only
// when every service answers its health check.
import { join } from 'node:path';
import { artifactPaths, ensureArtifacts, type ArtifactPaths } from './artifacts.ts';
import { clickhouseStatus } from './clickhouse.ts';
import { doctor, type Check, type DoctorReport } from './doctor.ts';
import { findRepoRoot, managedServices, redisTarget, stackEnv, stackPorts, stateDir, type StackEnv } from './env.ts';
import { kafka } from './kafka.ts';
import { kafkaSecurity, kafkaSecurityUp, type KafkaSecurity } from './kafka-security.ts';
import { findJavaFor, findMaven, findRedisServer, HINTS, type JavaRuntime } from './prereq.ts';
import { portOpen, StackError, withLock } from './proc.ts';
import { redisDown, redisStatus, redisUp } from './redis.ts';
import { registry } from './registry.ts';
import { serviceDown, servicePid, serviceStatus, serviceUp, type ServiceDescriptor } from './service.ts';
import type { ServiceName, ServiceStatus, StackContext, StackOptions } from './types.ts';

export { stackEnv, stackPorts, cacheDir, stateDir, findRepoRoot, DEFAULT_PORTS } from './env.ts';
export type { StackEnv, StackPorts } from './env.ts';
export type { KafkaSecurity } from './kafka-security.ts';
export type { ServiceName, ServiceState, ServiceStatus, StackOptions } from './types.ts';
export { StackError } from './proc.ts';
export { checkPrerequisites, formatChecks, summary as doctorSummary, systemProbe, type Check, type DoctorReport } from './doctor.ts';

/** The JVM services the stack runs, in start order (down stops them in reverse). */
const SERVICES: readonly ServiceDescriptor[] = [kafka, registry];

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
    const [redisNow, ...now] = await Promise.all([redisStatus(ctx), ...SERVICES.map((s) => serviceStatus(ctx, s))]);
    const toStart = SERVICES.filter((s, i) => ctx.managed[s.name] && now[i]!.state !== 'healthy' && servicePid(ctx, s) === undefined);
    const redisPort = redisTarget(ctx.env.REDIS_URL).port;
    const startRedis = ctx.managed.redis && redisNow!.state === 'down' && !(await portOpen(redisPort));
    const a = artifactPaths();
    const missing: string[] = [];
    // found once here when needed; a service that is already running needs no Java lookup (each costs a JVM start)
    const javas = new Map(toStart.map((s) => [s.name, findJavaFor(s.java)]));
    for (const s of toStart) if (!javas.get(s.name)) missing.push(s.java.hint);
    if (toStart.some((s) => !s.downloaded(a)) && !findMaven()) missing.push(HINTS.mvn);
    if (startRedis && !findRedisServer()) missing.push(HINTS.redis(redisPort));
    if (missing.length) throw new StackError([...missing, '(`cxg doctor` checks every prerequisite; as root, `cxg doctor --install` installs them)'].join('\n'));

    SERVICES.forEach((s, i) => {
      const st = now[i]!;
      if (!ctx.managed[s.name] && st.state !== 'healthy') {
        throw new StackError(`${s.name}: ${s.variable}=${st.url} names a service outside the local stack and it is not healthy (${st.detail ?? st.state}); unset ${s.variable} to use the local one`);
      }
    });

    const redis = await redisUp(ctx);
    if (redis === 'reused') ctx.log(`redis: reusing the Redis that answers at ${ctx.env.REDIS_URL} (not started by cxg stack; down leaves it running)`);

    const artifacts = once(() => ensureArtifacts({ kafka: toStart.includes(kafka), registry: toStart.includes(registry) }, ctx.log));
    const java = (s: ServiceDescriptor) => (): JavaRuntime => {
      const j = javas.get(s.name) ?? findJavaFor(s.java);
      if (!j) throw new StackError(s.java.hint);
      return j;
    };
    const results = await Promise.allSettled(SERVICES.map((s) => (ctx.managed[s.name] ? serviceUp(ctx, s, java(s), artifacts) : Promise.resolve(undefined))));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    if (errors.length) {
      if (errors.length === 1 && errors[0] instanceof StackError) throw errors[0];
      throw new StackError(errors.map((e) => e.message).join('\n'));
    }
    results.forEach((r, i) => {
      const up = r.status === 'fulfilled' ? r.value : undefined;
      if (up?.result === 'running') ctx.log(`${SERVICES[i]!.name}: already running (pid ${up.pid})`);
    });
    if (redis === 'running') ctx.log('redis: already running (started by cxg stack)');
    if (ctx.managed.kafka) {
      const kafkaUp = results[SERVICES.indexOf(kafka)];
      await kafkaSecurityUp(ctx, kafkaUp?.status === 'fulfilled' && kafkaUp.value?.result === 'started');
    }
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
    for (const s of [...SERVICES].reverse()) out.push({ service: s.name, result: await serviceDown(ctx, s) });
    out.push({ service: 'redis', result: await redisDown(ctx) });
    return out;
  }, ctx.log);
}

/** Health of every service, checked now (no lock: safe while `up` runs). */
export async function stackStatus(opts: StackOptions = {}): Promise<ServiceStatus[]> {
  const ctx = context(opts);
  return Promise.all([...SERVICES.map((s) => serviceStatus(ctx, s)), redisStatus(ctx), clickhouseStatus(ctx)]);
}

/**
 * The local broker's SASL_SSL listener: its address, the CA file, and each program's SCRAM user with
 * its password file (KAFKA_BROKERS, KAFKA_SSL_CA_FILE, KAFKA_USERNAME, KAFKA_PASSWORD_FILE).
 * The users and ACLs exist once `stackUp` has run against a broker started with this listener.
 */
export function stackKafkaSecurity(): KafkaSecurity {
  return kafkaSecurity(context());
}

/** Where the downloads are cached (for docs and `status --json`). */
export function stackArtifacts(): ArtifactPaths {
  return artifactPaths();
}

/**
 * A Redis answers at REDIS_URL afterwards: the one that does, or a redis-server started the way `up`
 * starts it (only a local redis:// URL; the lock only when something has to start).
 */
export async function stackRedisUp(opts: StackOptions = {}): Promise<'reused' | 'running' | 'started'> {
  const ctx = context(opts);
  const now = await redisStatus(ctx);
  if (now.state === 'healthy') return now.startedByUs ? 'running' : 'reused';
  return withLock(join(ctx.state, '.lock'), () => redisUp(ctx), ctx.log);
}

/** `cxg doctor`: every prerequisite checked (and installed, when allowed), then a Redis at REDIS_URL. */
export async function runDoctor(opts: { install: boolean; log: (line: string) => void }): Promise<DoctorReport> {
  const redis = async (): Promise<Check> => {
    const url = stackEnv().REDIS_URL;
    const check = { name: 'redis at REDIS_URL', neededFor: 'the detector and kpi unit tests, the integration tests' };
    try {
      const how = await stackRedisUp({ log: opts.log });
      const note = how === 'started' ? `started redis-server (data in ${join(stateDir(), 'redis')})` : how === 'running' ? 'answers PING (started by cxg stack)' : 'answers PING';
      return { ...check, ok: true, path: url, note };
    } catch (e) {
      return { ...check, ok: false, path: url, note: 'no Redis answers', fix: (e as Error).message };
    }
  };
  return doctor({ install: opts.install, log: opts.log, redis });
}
