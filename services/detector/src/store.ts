import type { Redis } from 'ioredis';
import { deleteKeys, execPipeline, scanKeys } from '@cxg/platform';
import type { DetectorStore, MarkerQuery, Markers, MarkerWrite } from './detector.ts';
import { DetectorKeys } from './keys.ts';
import { markerField } from './marker-codec.ts';

export interface StoreOptions {
  /** How long accepted event ids and contact ids are remembered for duplicate detection. */
  dedupeTtlMs: number;
  /** Timeline key TTL: longest window plus lateness and the 24 h record span, so idle customers cost nothing. */
  timelineTtlMs: number;
  /** Key layout; default: the historic `cx:` keys. */
  keys?: DetectorKeys;
}

/**
 * The detector's Redis state: duplicate markers (a hash per customer) and per-customer timelines
 * (one string per customer, entry-codec.ts), named by `DetectorKeys`. A batch costs one pipelined
 * read and one pipelined write.
 */
export class RedisDetectorStore implements DetectorStore {
  private readonly keys: DetectorKeys;

  constructor(
    private readonly redis: Redis,
    private readonly opts: StoreOptions,
  ) {
    this.keys = opts.keys ?? new DetectorKeys();
  }

  /**
   * One round trip: markers for each query, the stored timeline of each customer. A timeline an
   * earlier version kept as a sorted set is read from there while the new key is missing.
   */
  async read(queries: readonly MarkerQuery[], customers: readonly string[]): Promise<{ markers: Markers[]; timelines: Map<string, Buffer | null> }> {
    const { keys } = this;
    const p = this.redis.pipeline();
    const eventFields = queries.map((q) => markerField.event(q.kind, q.eventId));
    queries.forEach((q, i) => {
      const fields: Array<Buffer | string> = [eventFields[i]!, markerField.legacy.event(q.kind, q.eventId)];
      if (q.contactId !== null) fields.push(markerField.contactId(q.contactId), markerField.legacy.contactId(q.contactId));
      p.hmgetBuffer(keys.markers(q.customer), ...fields);
    });
    for (const c of customers) p.getBuffer(keys.timeline(c)).zrange(keys.legacyTimeline(c), 0, -1);
    const res = await execPipeline(p);
    const markers = queries.map((q, i): Markers => {
      const [position, legacyPosition, owner, legacyOwner] = res[i] as Array<Buffer | null>;
      const acceptedAt = (position ?? legacyPosition)?.toString() ?? null;
      if (q.contactId === null) return { acceptedAt, contactIdTaken: false };
      const taken = owner ? !owner.equals(markerField.ownerValue(eventFields[i]!)) : legacyOwner ? legacyOwner.toString() !== q.eventId : false;
      return { acceptedAt, contactIdTaken: taken };
    });
    const timelines = new Map(
      customers.map((c, i) => {
        const packed = res[queries.length + 2 * i] as Buffer | null;
        const legacy = res[queries.length + 2 * i + 1] as string[];
        return [c, packed ?? (legacy.length > 0 ? Buffer.from(`[${legacy.join(',')}]`) : null)];
      }),
    );
    return { markers, timelines };
  }

  /** One round trip: new duplicate markers, and whole timelines replaced (null: deleted) with their TTL. */
  async write(markers: readonly MarkerWrite[], timelines: ReadonlyMap<string, Buffer | null>): Promise<void> {
    if (markers.length === 0 && timelines.size === 0) return;
    const { keys } = this;
    const p = this.redis.pipeline();
    const byCustomer = new Map<string, Buffer[]>();
    for (const m of markers) {
      let fields = byCustomer.get(m.customer);
      if (!fields) byCustomer.set(m.customer, (fields = []));
      const event = markerField.event(m.kind, m.eventId);
      fields.push(event, Buffer.from(m.position));
      if (m.contactId !== null) fields.push(markerField.contactId(m.contactId), markerField.ownerValue(event));
    }
    for (const [customer, fields] of byCustomer) {
      p.hset(keys.markers(customer), ...fields);
      p.pexpire(keys.markers(customer), this.opts.dedupeTtlMs);
    }
    for (const [customer, packed] of timelines) {
      if (packed === null) p.unlink(keys.timeline(customer));
      else p.set(keys.timeline(customer), packed, 'PX', this.opts.timelineTtlMs);
      p.unlink(keys.legacyTimeline(customer));
    }
    await execPipeline(p);
  }

  /**
   * Deletes the markers and timelines of every customer of these partitions, before a state rebuild.
   * Keys are per customer, so a customer's partition is read off its markers: an accepted event's
   * marker holds the `<partition>:<offset>` it was accepted at (a timeline has no entry without one).
   */
  async clearPartitions(partitions: readonly number[]): Promise<number> {
    const { keys } = this;
    const wanted = new Set(partitions.map(String));
    const doomed: string[] = [];
    const markerKeys = await scanKeys(this.redis, keys.markersPattern());
    for (let i = 0; i < markerKeys.length; i += 200) {
      const chunk = markerKeys.slice(i, i + 200);
      const p = this.redis.pipeline();
      // The raw reply, fields and values alternating: ioredis would turn binary field names into strings.
      for (const k of chunk) p.callBuffer('HGETALL', k);
      const hashes = (await execPipeline(p)) as Buffer[][];
      chunk.forEach((k, j) => {
        const flat = hashes[j]!;
        let position: string | undefined;
        for (let f = 0; f < flat.length && position === undefined; f += 2) {
          const value = flat[f + 1]!.toString();
          if (markerField.holdsPosition(flat[f]!) && /^\d+:\d+$/.test(value)) position = value;
        }
        if (position === undefined || !wanted.has(position.slice(0, position.indexOf(':')))) return;
        doomed.push(k, keys.timeline(keys.customerOf(k)), keys.legacyTimeline(keys.customerOf(k)));
      });
    }
    return deleteKeys(this.redis, doomed);
  }
}
