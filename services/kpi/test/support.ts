// Helpers shared by the KPI worker's tests and the integration tests in /test.
import type { Redis } from 'ioredis';
import { bucketDeltas, incrementsOf, type KpiEvent, type KpiSettings } from '@cxg/engine';
import { deleteKeys as unlinkKeys, scanKeys } from '@cxg/platform';

/** `<m|h>:<bucket>` → field → value, summed over every partition of a key prefix. */
export type BucketDump = Map<string, Record<string, number>>;

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
  return unlinkKeys(redis, await scanKeys(redis, `${prefix}*`));
}

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
