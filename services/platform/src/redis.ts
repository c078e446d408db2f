import { Redis, type ChainableCommander } from 'ioredis';
import { redisTlsOptions } from './env.ts';

/** A command that has no reply within this long fails; the runner then retries its batch with backoff. */
export const REDIS_COMMAND_TIMEOUT_MS = 5_000;

/**
 * One ioredis connection with bounded waits: a command fails after REDIS_COMMAND_TIMEOUT_MS or two
 * reconnect attempts instead of queueing for as long as Redis is away, so a batch never blocks
 * without end (the runner retries it, heartbeating, until Redis is back). Reconnects keep trying,
 * at most 2 s apart.
 */
export function createRedis(url: string): Redis {
  return new Redis(url, {
    // CA for rediss://, ACL user and password from REDIS_USERNAME / REDIS_PASSWORD[_FILE] (docs/security.md)
    ...redisTlsOptions(url),
    maxRetriesPerRequest: 2,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    enableAutoPipelining: false,
    lazyConnect: false,
  });
}

/** Runs a pipeline and returns its replies in order; throws the first command's error. */
export async function execPipeline(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = await pipeline.exec();
  if (results === null) throw new Error('redis pipeline was discarded');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** Health check of a connection: null when PING answers PONG. */
export async function pingRedis(redis: Redis): Promise<string | null> {
  const reply = await redis.ping();
  return reply === 'PONG' ? null : `PING answered ${reply}`;
}

/** Every key matching the glob `match` (SCAN, so Redis keeps serving meanwhile). */
export async function scanKeys(redis: Redis, match: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Deletes `keys` in chunks; returns how many existed. */
export async function deleteKeys(redis: Redis, keys: readonly string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < keys.length; i += 500) n += await redis.unlink(...keys.slice(i, i + 500));
  return n;
}
