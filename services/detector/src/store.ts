import type { Redis } from 'ioredis';
import { LuaScript, deleteKeys, execPipeline, scanKeys, type ScriptArg, type ScriptCommand } from '@cxg/platform';
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

/** Per customer: its field values, its timeline (or false), its legacy timeline's members (detector_read-variable.lua). */
type ReadReply = Array<Array<Buffer | null> | Buffer | null | Buffer[]>;
const readScript = new LuaScript<string[], ScriptArg[], ReadReply>(new URL('./lua/detector_read-variable.lua', import.meta.url), { buffers: true });
const writeScript = new LuaScript<string[], ScriptArg[], number>(new URL('./lua/detector_write-variable.lua', import.meta.url));

/**
 * The detector's Redis state: duplicate markers (a hash per customer) and per-customer timelines
 * (one string per customer, entry-codec.ts), named by `DetectorKeys`. A batch costs one script
 * call to read and one to write, whatever its size.
 */
export class RedisDetectorStore implements DetectorStore {
  private readonly keys: DetectorKeys;
  private readonly scripts: { read: ScriptCommand<string[], ScriptArg[], ReadReply>; write: ScriptCommand<string[], ScriptArg[], number> };

  constructor(
    private readonly redis: Redis,
    private readonly opts: StoreOptions,
  ) {
    this.keys = opts.keys ?? new DetectorKeys();
    this.scripts = { read: readScript.on(redis), write: writeScript.on(redis) };
  }

  /**
   * One round trip (detector_read-variable.lua): markers for each query, the stored timeline of each
   * customer asked. A timeline an earlier version kept as a sorted set is read from there while the
   * new key is missing.
   */
  async read(queries: readonly MarkerQuery[], customers: readonly string[]): Promise<{ markers: Markers[]; timelines: Map<string, Buffer | null> }> {
    const eventFields = queries.map((q) => markerField.event(q.kind, q.eventId));
    // Per customer: the fields its queries ask, and where each query's four values start.
    const asked = new Map<string, { fields: Array<Buffer | string>; load: boolean }>();
    const at = queries.map((q, i) => {
      let c = asked.get(q.customer);
      if (c === undefined) asked.set(q.customer, (c = { fields: [], load: false }));
      const first = c.fields.length;
      c.fields.push(eventFields[i]!, markerField.legacy.event(q.kind, q.eventId));
      if (q.contactId !== null) c.fields.push(markerField.contactId(q.contactId), markerField.legacy.contactId(q.contactId));
      return first;
    });
    for (const c of customers) {
      const entry = asked.get(c);
      if (entry === undefined) asked.set(c, { fields: [], load: true });
      else entry.load = true;
    }
    if (asked.size === 0) return { markers: [], timelines: new Map() };
    const keys: string[] = [];
    const args: ScriptArg[] = [];
    for (const [customer, { fields, load }] of asked) {
      keys.push(...this.customerKeys(customer));
      args.push(fields.length, load ? '1' : '0', ...fields);
    }
    const reply = await this.scripts.read.call(keys, args);
    const valuesOf = new Map<string, Array<Buffer | null>>();
    const timelines = new Map<string, Buffer | null>();
    [...asked].forEach(([customer, { load }], i) => {
      valuesOf.set(customer, reply[3 * i] as Array<Buffer | null>);
      if (!load) return;
      const legacy = reply[3 * i + 2] as Buffer[];
      timelines.set(customer, (reply[3 * i + 1] as Buffer | null) ?? (legacy.length > 0 ? Buffer.from(`[${legacy.join(',')}]`) : null));
    });
    const markers = queries.map((q, i): Markers => {
      const values = valuesOf.get(q.customer)!;
      const [position, legacyPosition, owner, legacyOwner] = values.slice(at[i], at[i]! + 4);
      const acceptedAt = (position ?? legacyPosition)?.toString() ?? null;
      if (q.contactId === null) return { acceptedAt, contactIdTaken: false };
      const taken = owner ? !owner.equals(markerField.ownerValue(eventFields[i]!)) : legacyOwner ? legacyOwner.toString() !== q.eventId : false;
      return { acceptedAt, contactIdTaken: taken };
    });
    return { markers, timelines };
  }

  /** One round trip (detector_write-variable.lua): new duplicate markers, and whole timelines replaced (null: deleted) with their TTL. */
  async write(markers: readonly MarkerWrite[], timelines: ReadonlyMap<string, Buffer | null>): Promise<void> {
    if (markers.length === 0 && timelines.size === 0) return;
    const byCustomer = new Map<string, Buffer[]>();
    const fieldsOf = (customer: string) => {
      let fields = byCustomer.get(customer);
      if (!fields) byCustomer.set(customer, (fields = []));
      return fields;
    };
    for (const m of markers) {
      const fields = fieldsOf(m.customer);
      const event = markerField.event(m.kind, m.eventId);
      fields.push(event, Buffer.from(m.position));
      if (m.contactId !== null) fields.push(markerField.contactId(m.contactId), markerField.ownerValue(event));
    }
    for (const customer of timelines.keys()) fieldsOf(customer);
    const keys: string[] = [];
    const args: ScriptArg[] = [this.opts.dedupeTtlMs, this.opts.timelineTtlMs];
    for (const [customer, fields] of byCustomer) {
      keys.push(...this.customerKeys(customer));
      args.push(fields.length, ...fields);
      const packed = timelines.get(customer);
      if (packed === undefined) args.push('keep');
      else if (packed === null) args.push('del');
      else args.push('set', packed);
    }
    await this.scripts.write.call(keys, args);
  }

  /** The three keys a batch script touches per customer, in the scripts' order. */
  private customerKeys(customer: string): [string, string, string] {
    return [this.keys.markers(customer), this.keys.timeline(customer), this.keys.legacyTimeline(customer)];
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
