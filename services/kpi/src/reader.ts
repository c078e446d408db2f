import { Redis } from 'ioredis';
import { bucketIds, foldBuckets, windowBuckets, type CounterSet, type Granularity, type KpiWindow } from '@cxg/engine';
import { REBUILDING_PREFIX, execPipeline, redactUrl, redisTlsOptions } from '@cxg/platform';
import { AlertStore } from './alerts.ts';
import { KpiKeys } from './keys.ts';

/** Counters of each asked window, relative to the store's watermark. */
export interface WindowCounters {
  /** The store's watermark: the greatest event time applied on any partition. */
  watermarkMs: number;
  windows: Map<KpiWindow, CounterSet>;
  /**
   * Partitions whose state is being rebuilt after Redis lost it (their epoch is missing or marks a
   * rebuild): the counters are incomplete until this is empty, so alerts wait.
   */
  rebuilding: number[];
}

/**
 * Reads rolling windows over every partition's buckets: the partitions and their watermarks, then
 * per partition one pipelined HGETALL over the union of the windows' buckets.
 * Shared by the worker (metrics, alerts, /kpis) and `cxg kpis`.
 */
export class KpiReader {
  constructor(
    private readonly redis: Redis,
    readonly keys: KpiKeys,
  ) {}

  /** Null when nothing was applied yet. */
  async read(windows: readonly KpiWindow[]): Promise<WindowCounters | null> {
    const partitions = (await this.redis.smembers(this.keys.partitions())).map(Number).sort((a, b) => a - b);
    if (partitions.length === 0) return null;
    // One pipeline per partition: all of a partition's keys share its hash tag, so this works on a
    // Redis Cluster as well; the partitions run concurrently.
    const heads = await Promise.all(
      partitions.map(async (p) => {
        const [watermark = null, epoch = null] = (await execPipeline(this.redis.pipeline().get(this.keys.watermark(p)).get(this.keys.epoch(p)))) as Array<string | null>;
        return { p, watermark, epoch };
      }),
    );
    const marks = heads.map((h) => h.watermark).filter((w): w is string => w !== null).map(Number);
    if (marks.length === 0) return null;
    const rebuilding = heads.filter((h) => h.epoch == null || h.epoch.startsWith(REBUILDING_PREFIX)).map((h) => h.p);
    const watermarkMs = Math.max(...marks);

    const ranges = windows.map((w) => ({ window: w, range: windowBuckets(w, watermarkMs) }));
    const wanted = new Map<string, { granularity: Granularity; bucket: number }>();
    for (const { range } of ranges) for (const b of bucketIds(range)) wanted.set(`${range.granularity}${b}`, { granularity: range.granularity, bucket: b });
    const order = [...wanted.entries()];
    const perPartition = await Promise.all(
      partitions.map(async (part) => {
        const p = this.redis.pipeline();
        for (const [, { granularity, bucket }] of order) p.hgetall(this.keys.bucket(part, granularity, bucket));
        return (await execPipeline(p)) as Array<Record<string, string>>;
      }),
    );
    const hashes = new Map<string, Array<Record<string, string>>>();
    order.forEach(([id], i) => hashes.set(id, perPartition.map((res) => res[i]!)));

    const out = new Map<KpiWindow, CounterSet>();
    for (const { window, range } of ranges) {
      out.set(window, foldBuckets(bucketIds(range).flatMap((b) => hashes.get(`${range.granularity}${b}`) ?? [])));
    }
    return { watermarkMs, windows: out, rebuilding };
  }
}

/**
 * A reader on its own connection that fails fast (one retry, short timeouts) instead of queueing
 * commands while Redis is away: for commands such as `cxg kpis`, where a person is waiting.
 * `alerts` reads the alert states the worker stored on the same keys (`cxg serve` shows them).
 */
export async function connectKpiReader(redisUrl: string, keyPrefix: string): Promise<{ reader: KpiReader; alerts: AlertStore; close(): void }> {
  const redis = new Redis(redisUrl, { ...redisTlsOptions(redisUrl), lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: () => null, enableOfflineQueue: false });
  // The socket error (ECONNREFUSED, ...) says more than connect()'s "Connection is closed".
  let cause: Error | null = null;
  redis.on('error', (err: Error) => (cause ??= err));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(redisUrl)} (${(cause ?? (err as Error)).message}); set REDIS_URL`, { cause: cause ?? err });
  }
  const keys = new KpiKeys(keyPrefix);
  return { reader: new KpiReader(redis, keys), alerts: new AlertStore(redis, keys), close: () => redis.disconnect() };
}
