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

export interface Endpoints {
  kafkaBrokers: string[];
  kafkaSasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | null;
  kafkaSsl: boolean;
  schemaRegistryUrl: string;
  redisUrl: string;
  clickhouseUrl: string;
  configFile: string;
  partitions: number;
  logLevel: string;
}

/** Endpoint settings from the environment; the README's table documents every name and default. */
export function readEndpoints(env: NodeJS.ProcessEnv = process.env): Endpoints {
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (mechanism && !['plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism)) {
    throw new Error(`KAFKA_SASL_MECHANISM: expected plain, scram-sha-256 or scram-sha-512 (got ${env.KAFKA_SASL_MECHANISM})`);
  }
  const partitions = Number(env.CX_PARTITIONS ?? '6');
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`CX_PARTITIONS: expected a positive integer (got ${env.CX_PARTITIONS})`);
  const local = defaultEndpoints();
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? local.KAFKA_BROKERS).split(',').map((b) => b.trim()).filter(Boolean),
    kafkaSasl: mechanism
      ? { mechanism: mechanism as 'plain', username: env.KAFKA_USERNAME ?? '', password: env.KAFKA_PASSWORD ?? '' }
      : null,
    kafkaSsl: env.KAFKA_SSL === 'true' || env.KAFKA_SSL === '1',
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? local.SCHEMA_REGISTRY_URL,
    redisUrl: env.REDIS_URL ?? local.REDIS_URL,
    clickhouseUrl: env.CLICKHOUSE_URL ?? local.CLICKHOUSE_URL,
    configFile: env.CX_CONFIG ?? join(REPO_ROOT, 'config/contracts.yaml'),
    partitions,
    logLevel: env.LOG_LEVEL ?? 'info',
  };
}
