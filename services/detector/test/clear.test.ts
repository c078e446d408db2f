// Clearing partitions before a state rebuild, against the real Redis (REDIS_URL): the customers of
// the cleared partitions lose their markers and timelines, every other customer keeps them.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DetectorKeys, RedisDetectorStore } from '../src/index.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const keys = new DetectorKeys(`cx:test:clear:${randomUUID().slice(0, 8)}:`);
afterAll(async () => {
  const left = await redis.keys(`${keys.prefix}*`);
  if (left.length > 0) await redis.del(...left);
  redis.disconnect();
});

describe('RedisDetectorStore.clearPartitions', () => {
  it('deletes the markers and timelines of the customers accepted on those partitions only', async () => {
    const store = new RedisDetectorStore(redis, { keys, dedupeTtlMs: 3_600_000, timelineTtlMs: 3_600_000 });
    const entry = (id: string) => JSON.stringify([['j', id, `s-${id}`, 'billing', 1, 0]]);
    await store.write(
      [
        { customer: 'a', fields: { 'cx.contacts.v1|e1': '0:10', 'cid|c1': 'e1' } },
        { customer: 'b', fields: { 'cid|c2': 'e2', 'cx.web.v1|e2': '3:7' } },
        { customer: 'c', fields: { 'cx.web.v1|e3': '1:5' } },
      ],
      new Map([
        ['a', entry('e1')],
        ['b', entry('e2')],
        ['c', entry('e3')],
      ]),
    );
    await redis.zadd(keys.legacyTimeline('a'), 1, JSON.stringify({ kind: 'journey', event_id: 'e0' })); // an earlier version's
    expect(await store.clearPartitions([0, 3])).toBe(5);
    const { markers, timelines } = await store.read(
      ['a', 'b', 'c'].map((customer) => ({ customer, topic: 'cx.web.v1', eventId: 'none', contactId: null })),
      ['a', 'b', 'c'],
    );
    expect(markers).toHaveLength(3);
    expect([...timelines]).toEqual([
      ['a', null],
      ['b', null],
      ['c', entry('e3')],
    ]);
    expect(await redis.exists(keys.markers('c'))).toBe(1);
    expect(await redis.exists(keys.markers('a'), keys.markers('b'))).toBe(0);
  });
});

describe('RedisDetectorStore timelines', () => {
  it('reads a timeline an earlier version kept as a sorted set, and replaces it with the packed form on write', async () => {
    const store = new RedisDetectorStore(redis, { keys, dedupeTtlMs: 3_600_000, timelineTtlMs: 3_600_000 });
    const old = [JSON.stringify({ kind: 'journey', event_id: 'w1', ended_at: 5 }), JSON.stringify({ kind: 'contact', event_id: 'e1', ended_at: 9, prior: null })];
    await redis.zadd(keys.legacyTimeline('u'), 5, old[0]!, 9, old[1]!);
    const read = async () => (await store.read([], ['u'])).timelines.get('u');
    expect(await read()).toBe(`[${old.join(',')}]`);
    const packed = JSON.stringify([['j', 'w1', 's1', 'billing', 1, 4]]);
    await store.write([], new Map([['u', packed]]));
    expect(await read()).toBe(packed);
    expect(await redis.exists(keys.legacyTimeline('u'))).toBe(0);
    const ttl = await redis.pttl(keys.timeline('u'));
    expect(ttl).toBeGreaterThan(3_500_000);
    await store.write([], new Map([['u', null]]));
    expect(await read()).toBeNull();
    expect(await redis.exists(keys.timeline('u'))).toBe(0);
  });
});
