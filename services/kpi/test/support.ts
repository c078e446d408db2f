// Helpers shared by the KPI worker's tests and the integration tests in /test.
import type { Redis } from 'ioredis';
import { bucketDeltas, incrementsOf, type KpiEvent, type KpiSettings } from '@cxg/engine';

/** `<m|h>:<bucket>` → field → value, summed over every partition of a key prefix. */
export type BucketDump = Map<string, Record<string, number>>;

async function scanKeys(redis: Redis, match: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

export async function bucketsInRedis(redis: Redis, prefix: string): Promise<BucketDump> {
  const out: BucketDump = new Map();
  const keys = (await scanKeys(redis, `${prefix}{p*}:*`)).filter((k) => /:[mh]:-?\d+$/.test(k));
  for (const key of keys) {
    const [, g, b] = /:([mh]):(-?\d+)$/.exec(key)!;
    const id = `${g}:${b}`;
    const row = out.get(id) ?? {};
    for (const [f, v] of Object.entries(await redis.hgetall(key))) row[f] = (row[f] ?? 0) + Number(v);
    out.set(id, row);
  }
  return sorted(out);
}

/** What the buckets must hold when every event counts exactly once. */
export function expectedBuckets(events: readonly KpiEvent[], settings: KpiSettings): BucketDump {
  const out: BucketDump = new Map();
  for (const d of bucketDeltas(events.flatMap((e) => incrementsOf(e, settings)))) {
    out.set(`${d.granularity}:${d.bucket}`, Object.fromEntries(d.fields));
  }
  return sorted(out);
}

export function sorted(m: BucketDump): BucketDump {
  return new Map(
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, row]) => [k, Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1)))]),
  );
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  const keys = await scanKeys(redis, `${prefix}*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  return keys.length;
}

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
