import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** Lua scripts live as .lua files beside this module and are loaded by name (BullMQ's way). */
function lua(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
}

export const evKey = (customer: string) => `cx:ev:{${customer}}`;
export const timelineKey = (customer: string) => `cx:tl:{${customer}}`;
export const eventField = (topic: string, eventId: string) => `${topic}|${eventId}`;
export const contactField = (contactId: string) => `cid|${contactId}`;

export interface MarkerQuery {
  customer: string;
  topic: string;
  eventId: string;
  contactId: string | null;
}

/** What Redis remembers of one record's ids: where its event_id was accepted, who owns its contact_id. */
export interface Markers {
  /** `<partition>:<offset>` of the accepted delivery with this event_id, or null. */
  acceptedAt: string | null;
  /** event_id that owns the contact_id, or null. */
  contactOwner: string | null;
}

export interface MarkerWrite {
  customer: string;
  fields: Record<string, string>;
}

export interface StoreOptions {
  /** How long accepted event ids and contact ids are remembered for duplicate detection. */
  dedupeTtlMs: number;
  /** Timeline key TTL: longest window plus lateness and the 24 h record span, so idle customers cost nothing. */
  timelineTtlMs: number;
}

type Exec = { exec(): Promise<Array<[Error | null, unknown]> | null> };
type Scripted = { cxTimelineReplace(key: string, ttl: number, ...pairs: Array<string | number>): unknown };

/**
 * The detector's Redis state: duplicate markers (hash `cx:ev:{c}`) and per-customer timelines
 * (sorted set `cx:tl:{c}`). Keys carry the customer as hash tag, so Redis Cluster works unchanged.
 * A batch costs one pipelined read and one pipelined write.
 */
export class RedisDetectorStore {
  constructor(
    private readonly redis: Redis,
    private readonly opts: StoreOptions,
  ) {
    if (!('cxTimelineReplace' in redis)) redis.defineCommand('cxTimelineReplace', { numberOfKeys: 1, lua: lua('timeline_replace') });
  }

  /** One round trip: markers for each query, timelines (entry JSON, by ended_at) for each customer. */
  async read(queries: readonly MarkerQuery[], customers: readonly string[]): Promise<{ markers: Markers[]; timelines: Map<string, string[]> }> {
    const p = this.redis.pipeline();
    for (const q of queries) p.hmget(evKey(q.customer), eventField(q.topic, q.eventId), q.contactId === null ? '-' : contactField(q.contactId));
    for (const c of customers) p.zrange(timelineKey(c), 0, -1);
    const res = unwrap(await (p as unknown as Exec).exec());
    const markers = queries.map((_, i) => {
      const [acceptedAt, contactOwner] = res[i] as [string | null, string | null];
      return { acceptedAt, contactOwner };
    });
    const timelines = new Map(customers.map((c, i) => [c, res[queries.length + i] as string[]]));
    return { markers, timelines };
  }

  /** One round trip: new duplicate markers, and whole timelines replaced atomically per customer. */
  async write(markers: readonly MarkerWrite[], timelines: ReadonlyMap<string, ReadonlyArray<{ score: number; member: string }>>): Promise<void> {
    if (markers.length === 0 && timelines.size === 0) return;
    const p = this.redis.pipeline();
    for (const m of markers) {
      p.hset(evKey(m.customer), m.fields);
      p.pexpire(evKey(m.customer), this.opts.dedupeTtlMs);
    }
    for (const [customer, entries] of timelines) {
      (p as unknown as Scripted).cxTimelineReplace(timelineKey(customer), this.opts.timelineTtlMs, ...entries.flatMap((e) => [e.score, e.member]));
    }
    unwrap(await (p as unknown as Exec).exec());
  }
}

function unwrap(results: Array<[Error | null, unknown]> | null): unknown[] {
  if (results === null) throw new Error('redis pipeline was discarded');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
