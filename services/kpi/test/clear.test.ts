// Clearing partitions before a state rebuild, against the real Redis (REDIS_URL): every key of the
// cleared partitions goes, the other partitions and the shared keys stay.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { KpiKeys, RedisKpiStore } from '../src/index.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const keys = new KpiKeys(`cx:kpi:test:clear:${randomUUID().slice(0, 8)}:`);
afterAll(async () => {
  const left = await redis.keys(`${keys.prefix}*`);
  if (left.length > 0) await redis.del(...left);
  redis.disconnect();
});

describe('RedisKpiStore.clearPartitions', () => {
  it("deletes every key of the partitions' hash tags and nothing else", async () => {
    const store = new RedisKpiStore(redis, { keys, dedupeTtlMs: 3_600_000 });
    for (const p of [0, 1, 10]) {
      await redis.hset(keys.bucket(p, 'h', 1), 'all|offered', 1);
      await redis.hset(keys.applied(p), 'cx.contacts.v1', '5');
      await redis.set(keys.watermark(p), '1');
    }
    await redis.sadd(keys.partitions(), '0', '1', '10');
    expect(await store.clearPartitions([1])).toBe(3);
    expect(await redis.exists(keys.bucket(1, 'h', 1), keys.applied(1), keys.watermark(1))).toBe(0);
    // partition 10 shares the digit, not the tag
    expect(await redis.exists(keys.bucket(0, 'h', 1), keys.applied(0), keys.bucket(10, 'h', 1), keys.applied(10))).toBe(4);
    expect(await redis.scard(keys.partitions())).toBe(3);
  });
});
