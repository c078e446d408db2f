// The KPI worker's batch logic against the real Redis (REDIS_URL, default 127.0.0.1:6379), fed with
// Kafka-shaped batches in memory. A crash is simulated by dropping the handler before or after a
// batch's effects (before the commit), or by a Redis call failing; a new handler then re-reads from
// the committed offsets. The counters must end as if every accepted event counted exactly once
// (the suite: batch-logic.ts). The reader's windows are read back from the same Redis.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { KpiEvent } from '@cxg/engine';
import { KpiKeys, KpiReader, RedisKpiStore } from '../src/index.ts';
import { describeBatchLogic, feed, kpiHarness, type Scope } from './batch-logic.ts';
import { bucketsInRedis, deleteKeys, prng } from './support.ts';
import { partitionLog, redisNowMs } from '@cxg/platform/testing';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await deleteKeys(redis, p);
  redis.disconnect();
});

// The handler's clock is the store's: its duplicate markers expire on Redis's clock.
const NOW = await redisNowMs(redis);

function newPrefix(label: string): string {
  const p = `cx:kpi:test:${label}:${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}:`;
  prefixes.push(p);
  return p;
}

/** Stores on keys of their own prefix. */
const redisScope = (keys: KpiKeys): Scope => ({
  store: (dedupeTtlMs) => new RedisKpiStore(redis, { keys, dedupeTtlMs }),
  buckets: () => bucketsInRedis(redis, keys.prefix),
});

describeBatchLogic('KPI worker batch logic on real Redis', (label) => redisScope(new KpiKeys(newPrefix(label))), NOW);

describe('KPI reader on real Redis', () => {
  const { history, newHandler } = kpiHarness(NOW);

  it('reads rolling windows over all partitions relative to the greatest event time applied', async () => {
    const keys = new KpiKeys(newPrefix('read'));
    const { recs, expected } = history('h4', 21);
    const { handler } = newHandler(redisScope(keys));
    await feed(handler, partitionLog(recs), new Map(), { at: -1, mode: 'before' }, prng(4), []);
    const reader = new KpiReader(redis, keys);
    const got = (await reader.read(['1h', '24h', '7d']))!;
    const times = expected.map((e) => (e.kind === 'signal' ? e.event.contact_ended_at : e.event.ended_at));
    const wm = Math.max(...times);
    expect(got.watermarkMs).toBe(wm);
    const inWindow = (from: number) => expected.filter((_, i) => times[i]! >= from);
    const count = (events: KpiEvent[]) => events.filter((e) => e.kind === 'contact').length;
    // 7d covers the whole 2-day history; 24h starts at the top of the hour 23 h before the watermark's hour
    expect(got.windows.get('7d')!.providers.get('all')!.offered).toBe(count(expected));
    const h = Math.floor(wm / 3_600_000);
    expect(got.windows.get('24h')!.providers.get('all')!.offered).toBe(count(inWindow((h - 23) * 3_600_000)));
    const m = Math.floor(wm / 60_000);
    expect(got.windows.get('1h')!.providers.get('all')?.offered ?? 0).toBe(count(inWindow((m - 59) * 60_000)));
    expect(await new KpiReader(redis, new KpiKeys(newPrefix('empty'))).read(['1h'])).toBeNull();
  });
});
