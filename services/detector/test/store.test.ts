// The detector's Redis store against the real Redis (REDIS_URL): a customer's state read and
// written whole, the keys of earlier versions still read and replaced on the first write, batches
// beyond the scripts' chunks, and clearing partitions before a state rebuild.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { TimelineEntry } from '@cxg/engine';
import { idHashHex } from '@cxg/platform';
import { CustomerState, DetectorKeys, RedisDetectorStore, encodeState } from '../src/index.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const keys = new DetectorKeys(`cx:test:store:${randomUUID().slice(0, 8)}:`);
const store = new RedisDetectorStore(redis, { keys, stateTtlMs: 3_600_000 });
afterAll(async () => {
  const left = await redis.keys(`${keys.prefix}*`);
  if (left.length > 0) await redis.del(...left);
  redis.disconnect();
});

const journey = (customer: string, id: string): TimelineEntry => ({
  kind: 'journey', event_id: id, id: `s-${id}`, customer_id: customer, provider_id: null, channel: null, family: 'billing', started_at: 1_000, ended_at: 5_000,
});

/** A state with one accepted contact at `partition:offset` and one journey in its timeline. */
function stateOf(customer: string, partition: number, offset: number): CustomerState {
  const s = new CustomerState();
  s.accept('contact', `e-${customer}`, `c-${customer}`, { partition, offset });
  s.setEntries([journey(customer, `w-${customer}`)]);
  return s;
}

describe('RedisDetectorStore', () => {
  it('reads back the state it wrote (markers, timeline, priors) with the state TTL, and an empty state deletes it', async () => {
    const s = stateOf('a', 2, 41);
    s.priors.set('e-a', null);
    await store.save(new Map([['a', s]]));
    const back = (await store.load(['a', 'nobody'])).get('a')!;
    expect(encodeState('x', back)).toEqual(encodeState('x', s));
    expect(back.acceptedAt('contact', 'e-a')).toBe('2:41');
    expect(back.acceptedAt('journey', 'e-a')).toBeNull(); // a journey's ids are apart from a contact's
    expect(back.contactIdTaken('c-a', 'e-a')).toBe(false);
    expect(back.contactIdTaken('c-a', 'e-other')).toBe(true);
    expect(await redis.pttl(keys.state('a'))).toBeGreaterThan(3_500_000);
    expect((await store.load(['nobody'])).get('nobody')!.empty).toBe(true);
    await store.save(new Map([['a', new CustomerState()]]));
    expect(await redis.exists(keys.state('a'))).toBe(0);
  });

  it('reads the markers and timelines of earlier versions while a customer has no state, and deletes them on its first write', async () => {
    const id = randomUUID();
    // compact marker fields (a tag byte and the id's hash), and fields of the layout before them
    const hash = (id: string) => Buffer.from(idHashHex(id), 'hex');
    await redis.hset(keys.legacy.markers('m'), Buffer.concat([Buffer.from('c'), hash(`e-${id}`)]), '2:41', Buffer.concat([Buffer.from('i'), hash(`c-${id}`)]), hash(`e-${id}`));
    await redis.hset(keys.legacy.markers('m'), 'cx.web.v1|w-old', '2:7', 'cid|c-old', 'e-old', 'cx.contacts.v1|e-old', '2:3');
    await redis.set(keys.legacy.timeline('m'), Buffer.from(JSON.stringify([['j', 'w-old', 's-old', 'billing', 1, 4]])));
    const contact: TimelineEntry = { ...journey('u', 'e1'), kind: 'contact', id: 'c1', provider_id: 'prov-a', channel: 'PHONE', started_at: 6, ended_at: 9 };
    const old = [JSON.stringify(journey('u', 'w1')), JSON.stringify({ ...contact, prior: null })];
    await redis.zadd(keys.legacy.sortedSet('u'), 5, old[0]!, 9, old[1]!);

    const loaded = await store.load(['m', 'u']);
    const m = loaded.get('m')!;
    expect([m.acceptedAt('contact', `e-${id}`), m.acceptedAt('journey', 'w-old'), m.acceptedAt('contact', 'e-old'), m.acceptedAt('journey', `e-${id}`)]).toEqual(['2:41', '2:7', '2:3', null]);
    expect([m.contactIdTaken(`c-${id}`, `e-${id}`), m.contactIdTaken(`c-${id}`, 'e-x'), m.contactIdTaken('c-old', 'e-old'), m.contactIdTaken('c-old', 'e-new')]).toEqual([false, true, false, true]);
    expect(m.entries.map((e) => e.event_id)).toEqual(['w-old']);
    expect(loaded.get('u')!.entries.map((e) => e.event_id)).toEqual(['w1', 'e1']);

    await store.save(loaded);
    expect(await redis.exists(keys.legacy.markers('m'), keys.legacy.timeline('m'), keys.legacy.sortedSet('u'))).toBe(0);
    const again = await store.load(['m', 'u']);
    expect(encodeState('x', again.get('m')!)).toEqual(encodeState('x', m));
    expect(again.get('u')!.entries.map((e) => e.event_id)).toEqual(['w1', 'e1']);
  });

  it('reads and writes a batch beyond the scripts’ chunks: 1 200 customers, 400 of them from old keys, one with 700 contacts', async () => {
    const big = new CustomerState();
    for (let i = 0; i < 700; i++) big.accept('contact', `e${i}`, `c${i}`, { partition: 4, offset: 1_000_000 + i });
    const customers = Array.from({ length: 1200 }, (_, c) => `t${c}`);
    for (const c of customers.slice(0, 400)) await redis.hset(keys.legacy.markers(c), 'cx.web.v1|w', '1:1');
    const states = new Map(customers.map((c, i) => [c, stateOf(c, i % 8, i)]));
    await store.load(customers.slice(0, 400)); // marks them as read from old keys
    await store.save(new Map([...states, ['big', big]]));
    const back = await store.load(['big', ...customers]);
    expect(encodeState('x', back.get('big')!)).toEqual(encodeState('x', big));
    expect(customers.every((c) => back.get(c)!.acceptedAt('contact', `e-${c}`) === `${states.get(c)!.events.values().next().value!.partition}:${customers.indexOf(c)}`)).toBe(true);
    expect(await redis.exists(...customers.slice(0, 400).map((c) => keys.legacy.markers(c)))).toBe(0);
  });

  it('clears the customers accepted on the given partitions only, in either layout', async () => {
    const prefix = new DetectorKeys(`${keys.prefix}clear:`);
    const own = new RedisDetectorStore(redis, { keys: prefix, stateTtlMs: 3_600_000 });
    await own.save(new Map([['a', stateOf('a', 0, 10)], ['b', stateOf('b', 3, 7)], ['c', stateOf('c', 1, 5)]]));
    // an earlier version's keys: a contact_id field first, then its position
    await redis.hset(prefix.legacy.markers('d'), 'cid|c4', 'e4', 'cx.contacts.v1|e4', '3:9');
    await redis.set(prefix.legacy.timeline('d'), '[]');
    await redis.hset(prefix.legacy.markers('e'), 'cx.contacts.v1|e5', '1:9');
    expect(await own.clearPartitions([0, 3])).toBe(4);
    expect(await redis.exists(prefix.state('a'), prefix.state('b'), prefix.legacy.markers('d'), prefix.legacy.timeline('d'))).toBe(0);
    expect(await redis.exists(prefix.state('c'), prefix.legacy.markers('e'))).toBe(2);
  });
});
