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
    const entry = (id: string) => [{ score: 1, member: JSON.stringify({ kind: 'web', event_id: id }) }];
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
    expect(await store.clearPartitions([0, 3])).toBe(4);
    const { markers, timelines } = await store.read(
      ['a', 'b', 'c'].map((customer) => ({ customer, topic: 'cx.web.v1', eventId: 'none', contactId: null })),
      ['a', 'b', 'c'],
    );
    expect(markers).toHaveLength(3);
    expect([...timelines].map(([c, t]) => [c, t.length])).toEqual([
      ['a', 0],
      ['b', 0],
      ['c', 1],
    ]);
    expect(await redis.exists(keys.markers('c'))).toBe(1);
    expect(await redis.exists(keys.markers('a'), keys.markers('b'))).toBe(0);
  });
});
