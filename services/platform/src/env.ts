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
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean),
    kafkaSasl: mechanism
      ? { mechanism: mechanism as 'plain', username: env.KAFKA_USERNAME ?? '', password: env.KAFKA_PASSWORD ?? '' }
      : null,
    kafkaSsl: env.KAFKA_SSL === 'true' || env.KAFKA_SSL === '1',
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    clickhouseUrl: env.CLICKHOUSE_URL ?? `chdb://${join(STATE_DIR, 'clickhouse')}`,
    configFile: env.CX_CONFIG ?? join(REPO_ROOT, 'config/contracts.yaml'),
    partitions,
    logLevel: env.LOG_LEVEL ?? 'info',
  };
}
