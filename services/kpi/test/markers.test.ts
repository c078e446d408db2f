// Duplicate markers in time slices, against the real Redis (REDIS_URL): a marker is found by every
// lookup within the dedupe TTL of its write, not by one more than a slice after it, and a lookup of
// thousands of fields (chunked HMGETs in Lua) returns exactly the hits. Times derive from Redis's
// own clock; expiry stays Redis's (relative PEXPIRE), only the slice a time falls in is chosen here.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { KpiKeys, MARKER_SLICES, RedisKpiStore, markerField } from '../src/index.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const keys = new KpiKeys(`cx:kpi:test:markers:${randomUUID().slice(0, 8)}:`);
afterAll(async () => {
  const left = await redis.keys(`${keys.prefix}*`);
  if (left.length > 0) await redis.del(...left);
  redis.disconnect();
});

const HOUR = 3_600_000;
const TTL = MARKER_SLICES * HOUR; // one slice per hour
const redisNow = async () => {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};

async function write(store: RedisKpiStore, partition: number, nowMs: number, markers: Map<string, string>, applied: string): Promise<void> {
  const state = await store.read(partition, 'cx.contacts.v1', [], nowMs);
  const ok = await store.apply({ partition, topic: 'cx.contacts.v1', expectedApplied: state.applied, applied, watermarkMs: null, markers, deltas: [], nowMs });
  expect(ok).toBe(true);
}

describe('RedisKpiStore duplicate markers', () => {
  it('finds a marker for the whole dedupe TTL and forgets it at most one slice later', async () => {
    const store = new RedisKpiStore(redis, { keys, dedupeTtlMs: TTL });
    const t0 = await redisNow();
    await write(store, 0, t0, new Map([['c|e1', '1']]), '0');
    for (let at = t0; at <= t0 + TTL; at += HOUR / 2) {
      const { markers } = await store.read(0, 'cx.contacts.v1', ['c|e1', 'c|e2'], at);
      expect([...markers], `lookup ${(at - t0) / HOUR} h after the write`).toEqual([['c|e1', '1']]);
    }
    const late = await store.read(0, 'cx.contacts.v1', ['c|e1'], t0 + TTL + 2 * HOUR);
    expect(late.markers.size).toBe(0);
  });

  it('answers thousands of fields with exactly the hits, the newest slice first', async () => {
    const store = new RedisKpiStore(redis, { keys, dedupeTtlMs: TTL });
    const t0 = await redisNow();
    const old = new Map(Array.from({ length: 2500 }, (_, i) => [`cid|${i}`, `old-${i}`] as const));
    await write(store, 1, t0, old, '0');
    await write(store, 1, t0 + 3 * HOUR, new Map([['cid|7', 'new-7'], ['cid|2499', 'new-2499']]), '1');
    const fields = Array.from({ length: 5000 }, (_, i) => `cid|${i}`);
    const { markers } = await store.read(1, 'cx.contacts.v1', fields, t0 + 4 * HOUR);
    expect(markers.size).toBe(2500);
    expect(markers.get('cid|0')).toBe('old-0');
    expect(markers.get('cid|7')).toBe('new-7');
    expect(markers.get('cid|2499')).toBe('new-2499');
    expect(markers.has('cid|2500')).toBe(false);
  });

  it('names an id by a letter and its hash, 12 characters however long the id, and kinds of id apart', () => {
    const long = `evt-${'x'.repeat(200)}`;
    const fields = [markerField.contact(long), markerField.journey(long), markerField.signal(long), markerField.contactId(long)];
    expect(fields.map((f) => f.length)).toEqual([12, 12, 12, 12]);
    expect(new Set(fields.map((f) => f.slice(1))).size).toBe(1); // same hash, told apart by the letter
    expect(new Set(fields).size).toBe(4);
    expect(markerField.contact('e1')).not.toBe(markerField.contact('e2'));
    expect(markerField.ownerValue('e1')).toBe(markerField.contact('e1').slice(1));
  });
});
