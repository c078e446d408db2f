import { Redis } from 'ioredis';

/** One ioredis connection; commands queue while it (re)connects, so a short outage delays instead of failing. */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableAutoPipelining: false, lazyConnect: false });
}
