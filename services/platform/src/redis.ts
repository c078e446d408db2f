import { Redis, type ChainableCommander } from 'ioredis';

/** One ioredis connection; commands queue while it (re)connects, so a short outage delays instead of failing. */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableAutoPipelining: false, lazyConnect: false });
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
