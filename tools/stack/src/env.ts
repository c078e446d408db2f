// The local stack's endpoints: the values of the endpoint variables, their defaults taken from
// @cxg/platform (the one place that defines them, so a worker and the stack cannot disagree), moved by
// CXG_*_PORT. `cxg stack up` starts services exactly where these values point, and returns them so
// callers (tests, `cxg run`) can export them.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CCOMPAT_PATH, defaultEndpoints, LOCAL_HOST, LOCAL_PORTS, REPO_ROOT, STATE_DIR } from '@cxg/platform/env';

/** Resolved endpoint values, named like the environment variables that set them. */
export interface StackEnv {
  /** comma-separated host:port */
  KAFKA_BROKERS: string;
  /** Confluent-compatible REST base URL */
  SCHEMA_REGISTRY_URL: string;
  /** redis:// or rediss:// URL */
  REDIS_URL: string;
  /** http(s)://user:pass@host:port/db or chdb://<dir> */
  CLICKHOUSE_URL: string;
}

/** Ports of the services `cxg stack up` runs itself (Redis only when nothing answers on its port). */
export interface StackPorts {
  kafka: number;
  kafkaController: number;
  /** the broker's second listener: SASL/SCRAM-SHA-512 over TLS, with ACLs */
  kafkaSasl: number;
  registry: number;
  /** Quarkus' management interface, where Apicurio serves /health/ready */
  registryManagement: number;
  redis: number;
}

/** The clients' ports come from @cxg/platform; the controller and health ports only the stack uses. */
export const DEFAULT_PORTS: Readonly<StackPorts> = {
  ...LOCAL_PORTS,
  kafkaController: 9093,
  kafkaSasl: 9094,
  registryManagement: 9081,
};

/** Which variable changes which port: quoted in every "port in use" message. */
export const PORT_VARIABLES: Readonly<Record<keyof StackPorts, string>> = {
  kafka: 'CXG_KAFKA_PORT (or KAFKA_BROKERS)',
  kafkaController: 'CXG_KAFKA_CONTROLLER_PORT',
  kafkaSasl: 'CXG_KAFKA_SASL_PORT',
  registry: 'CXG_REGISTRY_PORT (or SCHEMA_REGISTRY_URL)',
  registryManagement: 'CXG_REGISTRY_MANAGEMENT_PORT',
  redis: 'REDIS_URL (or CXG_REDIS_PORT)',
};

export const LOOPBACK = LOCAL_HOST;
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export { CCOMPAT_PATH };
/** The port a redis:// URL without one means (the scheme's default, not a setting of the stack). */
const REDIS_SCHEME_PORT = 6379;

/** The repository root (the package.json named cx-gainshare), as every module finds it. */
export function findRepoRoot(): string {
  return REPO_ROOT;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name}: expected a TCP port 1-65535 (got ${JSON.stringify(raw)})`);
  return n;
}

/**
 * The ports the local stack uses: CXG_*_PORT when set; else, for Kafka, the registry and Redis, the port
 * of KAFKA_BROKERS / SCHEMA_REGISTRY_URL / REDIS_URL when that names this machine; else the defaults
 * (DEFAULT_PORTS).
 */
export function stackPorts(env: NodeJS.ProcessEnv = process.env): StackPorts {
  return {
    kafka: port(env, 'CXG_KAFKA_PORT', localKafkaPort(env.KAFKA_BROKERS) ?? DEFAULT_PORTS.kafka),
    kafkaController: port(env, 'CXG_KAFKA_CONTROLLER_PORT', DEFAULT_PORTS.kafkaController),
    kafkaSasl: port(env, 'CXG_KAFKA_SASL_PORT', DEFAULT_PORTS.kafkaSasl),
    registry: port(env, 'CXG_REGISTRY_PORT', localRegistryPort(env.SCHEMA_REGISTRY_URL) ?? DEFAULT_PORTS.registry),
    registryManagement: port(env, 'CXG_REGISTRY_MANAGEMENT_PORT', DEFAULT_PORTS.registryManagement),
    redis: port(env, 'CXG_REDIS_PORT', localRedisPort(env.REDIS_URL) ?? DEFAULT_PORTS.redis),
  };
}

function localKafkaPort(brokers: string | undefined): number | undefined {
  const list = (brokers ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  if (list.length !== 1) return undefined;
  const i = list[0]!.lastIndexOf(':');
  if (i < 0 || !isLoopbackHost(list[0]!.slice(0, i))) return undefined;
  const n = Number(list[0]!.slice(i + 1));
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

function localRegistryPort(url: string | undefined): number | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' || !isLoopbackHost(u.hostname) || u.pathname.replace(/\/$/, '') !== CCOMPAT_PATH) return undefined;
    return Number(u.port || 80);
  } catch {
    return undefined;
  }
}

function localRedisPort(url: string | undefined): number | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'redis:' || !isLoopbackHost(u.hostname)) return undefined;
    return Number(u.port || REDIS_SCHEME_PORT);
  } catch {
    return undefined;
  }
}

/**
 * The endpoint values every module should use: the variable when it is set, else the local stack's
 * address (which follows CXG_*_PORT). CLICKHOUSE_URL defaults to embedded chdb under <repo>/.cxg.
 */
export function stackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  const local = defaultEndpoints(stackPorts(env));
  const set = (name: keyof StackEnv): string | undefined => (env[name] ? env[name] : undefined);
  return {
    KAFKA_BROKERS: set('KAFKA_BROKERS') ?? local.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: set('SCHEMA_REGISTRY_URL') ?? local.SCHEMA_REGISTRY_URL,
    REDIS_URL: set('REDIS_URL') ?? local.REDIS_URL,
    CLICKHOUSE_URL: set('CLICKHOUSE_URL') ?? local.CLICKHOUSE_URL,
  };
}

/** Where the local stack keeps its state: $CXG_STACK_DIR, else <repo>/.cxg/stack (ignored by git). */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CXG_STACK_DIR ? resolve(env.CXG_STACK_DIR) : join(STATE_DIR, 'stack');
}

/** Download cache outside the repository: $CXG_CACHE_DIR, else ${XDG_CACHE_HOME:-~/.cache}/cx-gainshare. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CXG_CACHE_DIR) return resolve(env.CXG_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(xdg, 'cx-gainshare');
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase());
}

/**
 * Which of the endpoints the stack manages, i.e. points at the local service on its configured port.
 * A variable set to anything else (another host, another port) names an external service: `up` only
 * checks it and never starts or stops anything for it.
 */
export interface Managed {
  kafka: boolean;
  registry: boolean;
  /** local Redis: reused when it answers PING, else started by us */
  redis: boolean;
}

export function managedServices(env: StackEnv, ports: StackPorts): Managed {
  return {
    kafka: localKafkaPort(env.KAFKA_BROKERS) === ports.kafka,
    registry: localRegistryPort(env.SCHEMA_REGISTRY_URL) === ports.registry,
    redis: localRedisPort(env.REDIS_URL) === ports.redis,
  };
}

/** host and port of a Redis URL (default port 6379). */
export function redisTarget(url: string): { host: string; port: number; password?: string; username?: string; tls: boolean } {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '') || LOOPBACK;
  const out: { host: string; port: number; password?: string; username?: string; tls: boolean } = {
    host,
    port: Number(u.port || REDIS_SCHEME_PORT),
    tls: u.protocol === 'rediss:',
  };
  if (u.password) out.password = decodeURIComponent(u.password);
  if (u.username) out.username = decodeURIComponent(u.username);
  return out;
}
