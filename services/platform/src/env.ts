import { dirname, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';

/** Walks up from this file to the repository root (the package.json named cx-gainshare). */
function findRepoRoot(): string {
  let dir = dirname(new URL(import.meta.url).pathname);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'cx-gainshare') return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export const REPO_ROOT = findRepoRoot();
/** Logs, data and test reports live here; ignored by git. */
export const STATE_DIR = join(REPO_ROOT, '.cxg');

/** Where the local stack (`cxg stack up`) serves: the defaults of the endpoint variables, defined here only. */
export const LOCAL_HOST = '127.0.0.1';
export const LOCAL_PORTS = { kafka: 9092, registry: 8081, redis: 6379 } as const;
/** Apicurio serves the Confluent-compatible API under this path. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

/** The value of each endpoint variable when it is unset: the local stack, on `ports`. */
export function defaultEndpoints(ports: { kafka: number; registry: number; redis: number } = LOCAL_PORTS) {
  return {
    KAFKA_BROKERS: `${LOCAL_HOST}:${ports.kafka}`,
    SCHEMA_REGISTRY_URL: `http://${LOCAL_HOST}:${ports.registry}${CCOMPAT_PATH}`,
    REDIS_URL: `redis://${LOCAL_HOST}:${ports.redis}`,
    CLICKHOUSE_URL: `chdb://${join(STATE_DIR, 'clickhouse')}`,
  };
}

/**
 * A secret from the environment: NAME itself, or the contents of the file NAME_FILE names (one
 * trailing newline dropped, as `echo pw > file` writes it). Both set, an unreadable or an empty
 * file: an error naming the variable (never the value). Unset or empty: undefined.
 */
export function secretFromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  const has = (v: string | undefined): v is string => v !== undefined && v !== '';
  if (has(direct) && has(file)) throw new Error(`${name} and ${name}_FILE are both set: set only one of them`);
  if (!has(file)) return has(direct) ? direct : undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${name}_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new Error(`${name}_FILE: ${file} is empty`);
  return value;
}

/** A file's text for an option such as a CA bundle; the error names the variable. */
function fileFromEnv(env: NodeJS.ProcessEnv, name: string): string | null {
  const file = env[name];
  if (file === undefined || file === '') return null;
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${name}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** What ioredis needs beyond the URL: the CA of a rediss:// server, and credentials kept out of the URL. */
export interface RedisSecurity {
  /** PEM of REDIS_TLS_CA_FILE (only with a rediss:// URL); null: the system's CAs. */
  tlsCa: string | null;
  /** REDIS_USERNAME (an ACL user), when the URL names none. */
  username: string | null;
  /** REDIS_PASSWORD or REDIS_PASSWORD_FILE, when the URL carries none. */
  password: string | null;
}

export interface Endpoints {
  kafkaBrokers: string[];
  kafkaSasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | null;
  kafkaSsl: boolean;
  /** PEM of KAFKA_SSL_CA_FILE (implies TLS); null or absent: the system's CAs. */
  kafkaSslCa?: string | null;
  schemaRegistryUrl: string;
  redisUrl: string;
  /** Absent: nothing beyond the URL (see redisTlsOptions). */
  redis?: RedisSecurity;
  /** With a server URL, CLICKHOUSE_USER / CLICKHOUSE_PASSWORD[_FILE] are folded into it. */
  clickhouseUrl: string;
  /** CX_PSEUDONYM_KEY or CX_PSEUDONYM_KEY_FILE: the key for pseudonymising customer ids; null when unset. */
  pseudonymKey?: string | null;
  configFile: string;
  partitions: number;
  logLevel: string;
}

/** A URL with its password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

function readRedisSecurity(env: NodeJS.ProcessEnv, url: string): RedisSecurity {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // not a URL (a socket path, say): ioredis reads it as it is; nothing here applies to it
  }
  const tlsCa = fileFromEnv(env, 'REDIS_TLS_CA_FILE');
  if (tlsCa !== null && parsed?.protocol !== 'rediss:') throw new Error('REDIS_TLS_CA_FILE is set but REDIS_URL is not a rediss:// (TLS) URL');
  const password = secretFromEnv(env, 'REDIS_PASSWORD') ?? null;
  if (password !== null && parsed?.password) throw new Error('REDIS_URL carries a password and REDIS_PASSWORD(_FILE) is set too: set only one of them');
  const username = env.REDIS_USERNAME ? env.REDIS_USERNAME : null;
  if (username !== null && parsed?.username) throw new Error('REDIS_URL names a user and REDIS_USERNAME is set too: set only one of them');
  return { tlsCa, username, password };
}

function clickhouseUrlOf(env: NodeJS.ProcessEnv, url: string): string {
  const user = env.CLICKHOUSE_USER ? env.CLICKHOUSE_USER : undefined;
  const password = secretFromEnv(env, 'CLICKHOUSE_PASSWORD');
  if (user === undefined && password === undefined) return url;
  if (!/^https?:\/\//.test(url)) throw new Error('CLICKHOUSE_USER / CLICKHOUSE_PASSWORD apply to a ClickHouse server (http(s):// CLICKHOUSE_URL); the embedded chdb:// one has no users');
  const u = new URL(url);
  if (u.username || u.password) throw new Error('CLICKHOUSE_URL carries a user or password and CLICKHOUSE_USER / CLICKHOUSE_PASSWORD(_FILE) are set too: set only one of them');
  u.username = encodeURIComponent(user ?? 'default');
  if (password !== undefined) u.password = encodeURIComponent(password);
  return u.toString();
}

/** Endpoint settings from the environment; the README's table documents every name and default. */
export function readEndpoints(env: NodeJS.ProcessEnv = process.env): Endpoints {
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (mechanism && !['plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism)) {
    throw new Error(`KAFKA_SASL_MECHANISM: expected plain, scram-sha-256 or scram-sha-512 (got ${env.KAFKA_SASL_MECHANISM})`);
  }
  const kafkaPassword = secretFromEnv(env, 'KAFKA_PASSWORD');
  if (mechanism && (!env.KAFKA_USERNAME || kafkaPassword === undefined)) {
    throw new Error('KAFKA_SASL_MECHANISM is set: KAFKA_USERNAME and KAFKA_PASSWORD (or KAFKA_PASSWORD_FILE) are needed too');
  }
  const partitions = Number(env.CX_PARTITIONS ?? '6');
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`CX_PARTITIONS: expected a positive integer (got ${env.CX_PARTITIONS})`);
  const sslFlag = env.KAFKA_SSL?.toLowerCase();
  if (sslFlag && !['true', '1', 'false', '0'].includes(sslFlag)) throw new Error(`KAFKA_SSL: expected true or false (got ${env.KAFKA_SSL})`);
  const kafkaSslCa = fileFromEnv(env, 'KAFKA_SSL_CA_FILE');
  if (kafkaSslCa !== null && (sslFlag === 'false' || sslFlag === '0')) throw new Error('KAFKA_SSL_CA_FILE is set but KAFKA_SSL is false');
  const local = defaultEndpoints();
  const redisUrl = env.REDIS_URL || local.REDIS_URL;
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? local.KAFKA_BROKERS).split(',').map((b) => b.trim()).filter(Boolean),
    kafkaSasl: mechanism
      ? { mechanism: mechanism as 'plain', username: env.KAFKA_USERNAME!, password: kafkaPassword! }
      : null,
    kafkaSsl: sslFlag === 'true' || sslFlag === '1' || kafkaSslCa !== null,
    kafkaSslCa,
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? local.SCHEMA_REGISTRY_URL,
    redisUrl,
    redis: readRedisSecurity(env, redisUrl),
    clickhouseUrl: clickhouseUrlOf(env, env.CLICKHOUSE_URL ?? local.CLICKHOUSE_URL),
    pseudonymKey: secretFromEnv(env, 'CX_PSEUDONYM_KEY') ?? null,
    configFile: env.CX_CONFIG ?? join(REPO_ROOT, 'config/contracts.yaml'),
    partitions,
    logLevel: env.LOG_LEVEL ?? 'info',
  };
}

/** ioredis options beyond the URL: `tls: { ca }` for a rediss:// server with a CA of its own, and credentials kept out of the URL. */
export interface RedisTlsOptions {
  tls?: { ca: string };
  username?: string;
  password?: string;
}

/**
 * What `new Redis(url, {...})` needs beyond the URL, from endpoints or, given a URL, from the
 * environment (REDIS_TLS_CA_FILE, REDIS_USERNAME, REDIS_PASSWORD[_FILE]). Spread it into the options:
 * ioredis lets the URL's own user and password win, and readEndpoints refuses both being set.
 */
export function redisTlsOptions(target: Pick<Endpoints, 'redisUrl' | 'redis'> | string, env: NodeJS.ProcessEnv = process.env): RedisTlsOptions {
  const url = typeof target === 'string' ? target : target.redisUrl;
  const sec = typeof target === 'string' ? readRedisSecurity(env, url) : (target.redis ?? readRedisSecurity({}, url));
  const out: RedisTlsOptions = {};
  if (sec.tlsCa !== null && url.startsWith('rediss:')) out.tls = { ca: sec.tlsCa };
  if (sec.username !== null) out.username = sec.username;
  if (sec.password !== null) out.password = sec.password;
  return out;
}

/** Paths pino blanks in every log line: whatever could carry a secret if an endpoints or config object is logged. */
export const REDACT_PATHS: readonly string[] = [
  'password',
  '*.password',
  '*.*.password',
  'kafkaSasl.password',
  '*.kafkaSasl.password',
  'sasl.password',
  '*.sasl.password',
  'pseudonymKey',
  '*.pseudonymKey',
  'redisUrl',
  '*.redisUrl',
  'clickhouseUrl',
  '*.clickhouseUrl',
  'redis.password',
  '*.redis.password',
  'KAFKA_PASSWORD',
  'REDIS_PASSWORD',
  'CLICKHOUSE_PASSWORD',
  'CX_PSEUDONYM_KEY',
  '*.KAFKA_PASSWORD',
  '*.REDIS_PASSWORD',
  '*.CLICKHOUSE_PASSWORD',
  '*.CX_PSEUDONYM_KEY',
];
