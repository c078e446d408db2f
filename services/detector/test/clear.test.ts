// Clearing partitions before a state rebuild, against the real Redis (REDIS_URL): the customers of
// the cleared partitions lose their markers and timelines, every other customer keeps them.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DetectorKeys, RedisDetectorStore, markerField } from '../src/index.ts';

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
    const entry = (id: string) => Buffer.from(JSON.stringify([['j', id, `s-${id}`, 'billing', 1, 0]]));
    await store.write(
      [
        { customer: 'a', kind: 'contact', eventId: 'e1', contactId: 'c1', position: '0:10' },
        { customer: 'b', kind: 'contact', eventId: 'e2', contactId: 'c2', position: '3:7' },
        { customer: 'c', kind: 'journey', eventId: 'e3', contactId: null, position: '1:5' },
      ],
      new Map([
        ['a', entry('e1')],
        ['b', entry('e2')],
        ['c', entry('e3')],
      ]),
    );
    await redis.zadd(keys.legacyTimeline('a'), 1, JSON.stringify({ kind: 'journey', event_id: 'e0' })); // an earlier version's
    // markers of the layout before the compact one: a contact_id field first, then its position
    await redis.hset(keys.markers('d'), 'cid|c4', '1:1', 'cx.contacts.v1|e4', '3:9');
    expect(await store.clearPartitions([0, 3])).toBe(6);
    const { markers, timelines } = await store.read(
      ['a', 'b', 'c'].map((customer) => ({ customer, kind: 'journey' as const, eventId: 'none', contactId: null })),
      ['a', 'b', 'c'],
    );
    expect(markers).toHaveLength(3);
    expect([...timelines]).toEqual([
      ['a', null],
      ['b', null],
      ['c', entry('e3')],
    ]);
    expect(await redis.exists(keys.markers('c'))).toBe(1);
    expect(await redis.exists(keys.markers('a'), keys.markers('b'), keys.markers('d'))).toBe(0);
  });
});

describe('RedisDetectorStore markers', () => {
  it('remembers positions and contact_id owners by hashed ids, and still reads the fields of the layout before', async () => {
    const store = new RedisDetectorStore(redis, { keys, dedupeTtlMs: 3_600_000, timelineTtlMs: 3_600_000 });
    const id = randomUUID();
    await store.write([{ customer: 'm', kind: 'contact', eventId: `e-${id}`, contactId: `c-${id}`, position: '2:41' }], new Map());
    await redis.hset(keys.markers('m'), 'cx.web.v1|w-old', '2:7', 'cid|c-old', 'e-old');
    const { markers } = await store.read(
      [
        { customer: 'm', kind: 'contact', eventId: `e-${id}`, contactId: `c-${id}` }, // itself
        { customer: 'm', kind: 'contact', eventId: 'e-other', contactId: `c-${id}` }, // its contact_id under another event_id
        { customer: 'm', kind: 'journey', eventId: `e-${id}`, contactId: null }, // a journey's ids are apart from a contact's
        { customer: 'm', kind: 'journey', eventId: 'w-old', contactId: null },
        { customer: 'm', kind: 'contact', eventId: 'e-new', contactId: 'c-old' },
        { customer: 'm', kind: 'contact', eventId: 'e-old', contactId: 'c-old' },
      ],
      [],
    );
    expect(markers).toEqual([
      { acceptedAt: '2:41', contactIdTaken: false },
      { acceptedAt: null, contactIdTaken: true },
      { acceptedAt: null, contactIdTaken: false },
      { acceptedAt: '2:7', contactIdTaken: false },
      { acceptedAt: null, contactIdTaken: true },
      { acceptedAt: null, contactIdTaken: false },
    ]);
    // one field per id: a tag byte and 8 bytes of hash, however long the id
    const fields = (await redis.callBuffer('HKEYS', keys.markers('m'))) as Buffer[];
    const compact = [markerField.event('contact', `e-${id}`), markerField.contactId(`c-${id}`)];
    expect(compact.map((c) => c.length)).toEqual([9, 9]);
    expect(compact.every((c) => fields.some((f) => f.equals(c)))).toBe(true);
    expect(fields).toHaveLength(4);
  });
});

describe('RedisDetectorStore timelines', () => {
  it('reads a timeline an earlier version kept as a sorted set, and replaces it with the packed form on write', async () => {
    const store = new RedisDetectorStore(redis, { keys, dedupeTtlMs: 3_600_000, timelineTtlMs: 3_600_000 });
    const old = [JSON.stringify({ kind: 'journey', event_id: 'w1', ended_at: 5 }), JSON.stringify({ kind: 'contact', event_id: 'e1', ended_at: 9, prior: null })];
    await redis.zadd(keys.legacyTimeline('u'), 5, old[0]!, 9, old[1]!);
    const read = async () => (await store.read([], ['u'])).timelines.get('u');
    expect(await read()).toEqual(Buffer.from(`[${old.join(',')}]`));
    const packed = Buffer.from(JSON.stringify([['j', 'w1', 's1', 'billing', 1, 4]]));
    await store.write([], new Map([['u', packed]]));
    expect(await read()).toEqual(packed);
    expect(await redis.exists(keys.legacyTimeline('u'))).toBe(0);
    const ttl = await redis.pttl(keys.timeline('u'));
    expect(ttl).toBeGreaterThan(3_500_000);
    await store.write([], new Map([['u', null]]));
    expect(await read()).toBeNull();
    expect(await redis.exists(keys.timeline('u'))).toBe(0);
  });
});

describe('RedisDetectorStore batches', () => {
  it('reads and writes a batch beyond the scripts’ chunks: one customer with 700 contacts, 300 customers with binary timelines', async () => {
    const store = new RedisDetectorStore(redis, { keys, dedupeTtlMs: 3_600_000, timelineTtlMs: 7_200_000 });
    const writes = Array.from({ length: 700 }, (_, i) => ({ customer: 'big', kind: 'contact' as const, eventId: `e${i}`, contactId: `c${i}`, position: `4:${i}` }));
    // every byte value, so a reply decoded as text would not round-trip
    const timeline = (c: number) => Buffer.from(Array.from({ length: 256 }, (_, b) => (b + c) % 256));
    const customers = Array.from({ length: 300 }, (_, c) => `t${c}`);
    await store.write(writes, new Map(customers.map((c, i) => [c, timeline(i)])));
    const { markers, timelines } = await store.read(
      [
        ...writes.map(({ position: _, ...q }) => q),
        ...writes.map((w) => ({ customer: 'big', kind: 'contact' as const, eventId: `other-${w.eventId}`, contactId: w.contactId })),
      ],
      ['big', ...customers],
    );
    expect(markers.slice(0, 700)).toEqual(writes.map((w) => ({ acceptedAt: w.position, contactIdTaken: false })));
    expect(markers.slice(700).every((m) => m.acceptedAt === null && m.contactIdTaken)).toBe(true);
    expect(timelines.get('big')).toBeNull();
    expect(customers.every((c, i) => timelines.get(c)?.equals(timeline(i)))).toBe(true);
    expect(await redis.hlen(keys.markers('big'))).toBe(1400);
    expect(await redis.pttl(keys.markers('big'))).toBeGreaterThan(3_500_000);
    expect(await redis.pttl(keys.timeline('t0'))).toBeGreaterThan(7_000_000);
  });
});
