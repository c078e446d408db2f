import type { Consumed } from './runner.ts';

/**
 * Lays records out as Kafka would: per `topic:partition`, in order, offsets from 0. Workers' batch
 * handlers can then be fed, crashed and re-fed from "committed" offsets in unit tests, against their
 * real stores, without a broker. Exported as `@cxg/platform/testing`.
 */
export function partitionLog(records: ReadonlyArray<{ topic: string; partition: number; value: unknown }>): Map<string, Consumed[]> {
  const log = new Map<string, Consumed[]>();
  for (const r of records) {
    const k = `${r.topic}:${r.partition}`;
    const list = log.get(k) ?? [];
    list.push({ topic: r.topic, partition: r.partition, offset: String(list.length), key: null, value: r.value });
    log.set(k, list);
  }
  return log;
}

/**
 * Wall-clock "now" as the Redis server sees it. A test that hands a worker a `now` must take it from
 * the store that will apply the worker's expiries, never a fixed date: a fixed date drifts into the
 * past with the calendar, and Redis (possibly on another host, or under `faketime`) keeps its own clock.
 */
export async function redisNowMs(redis: { time(): Promise<Array<string | number>> }): Promise<number> {
  const [sec, micro] = await redis.time();
  return Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
}
