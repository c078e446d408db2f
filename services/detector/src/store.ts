import type { Redis } from 'ioredis';
import { LuaScript, deleteKeys, execPipeline, scanKeys, type ScriptArg, type ScriptCommand } from '@cxg/platform';
import { CustomerState } from './customer-state.ts';
import type { DetectorStore } from './detector.ts';
import { DetectorKeys } from './keys.ts';
import { legacyFieldHoldsPosition, stateFromLegacy } from './legacy-state.ts';
import { decodeState, encodeState, isStoredState } from './state-codec.ts';

export interface StoreOptions {
  /**
   * How long a customer's state outlives its last write: the longer of the dedupe TTL (accepted
   * event ids and contact ids) and the timeline's span (longest window plus lateness and the 24 h
   * record span), so idle customers cost nothing.
   */
  stateTtlMs: number;
  /** Key layout; default: the historic `cx:` keys. */
  keys?: DetectorKeys;
}

/** Per customer: the state or null, the old marker hash (fields and values), the old timeline or null, the sorted set's members. */
type ReadReply = Array<Buffer | null | Buffer[]>;
const readScript = new LuaScript<string[], never[], ReadReply>(new URL('./lua/detector_read-variable.lua', import.meta.url), { buffers: true });
const writeScript = new LuaScript<string[], ScriptArg[], number>(new URL('./lua/detector_write-variable.lua', import.meta.url));

/**
 * The detector's Redis state: one string per customer (state-codec.ts) holding its duplicate
 * markers and its timeline, named by `DetectorKeys`. A batch costs one script call to read and one
 * to write, whatever its size.
 */
export class RedisDetectorStore implements DetectorStore {
  private readonly keys: DetectorKeys;
  private readonly scripts: { read: ScriptCommand<string[], never[], ReadReply>; write: ScriptCommand<string[], ScriptArg[], number> };
  /** Customers whose state was read from an earlier version's keys: their first write deletes those. */
  private readonly migrating = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly opts: StoreOptions,
  ) {
    this.keys = opts.keys ?? new DetectorKeys();
    this.scripts = { read: readScript.on(redis), write: writeScript.on(redis) };
  }

  /** One round trip (detector_read-variable.lua): each customer's state, an empty one where none is stored. */
  async load(customers: readonly string[]): Promise<Map<string, CustomerState>> {
    const states = new Map<string, CustomerState>();
    if (customers.length === 0) return states;
    const { legacy } = this.keys;
    const keys = customers.flatMap((c) => [this.keys.state(c), legacy.markers(c), legacy.timeline(c), legacy.sortedSet(c)]);
    const reply = await this.scripts.read.call(keys, []);
    customers.forEach((customer, i) => {
      const stored = reply[4 * i] as Buffer | null;
      if (stored !== null && isStoredState(stored)) return states.set(customer, decodeState(customer, stored));
      const old = { markers: reply[4 * i + 1] as Buffer[], timeline: reply[4 * i + 2] as Buffer | null, sortedSet: reply[4 * i + 3] as Buffer[] };
      if (old.markers.length === 0 && old.timeline === null && old.sortedSet.length === 0) return states.set(customer, new CustomerState());
      this.migrating.add(customer);
      states.set(customer, stateFromLegacy(customer, old));
    });
    return states;
  }

  /** One round trip (detector_write-variable.lua): each given customer's state replaced with the state TTL, or deleted when empty. */
  async save(states: ReadonlyMap<string, CustomerState>): Promise<void> {
    if (states.size === 0) return;
    const keys: string[] = [];
    const args: ScriptArg[] = [this.opts.stateTtlMs, states.size];
    const old: string[] = [];
    for (const [customer, state] of states) {
      keys.push(this.keys.state(customer));
      args.push(state.empty ? '' : encodeState(customer, state));
      if (this.migrating.delete(customer)) old.push(...this.legacyKeys(customer));
    }
    await this.scripts.write.call([...keys, ...old], args);
  }

  private legacyKeys(customer: string): string[] {
    const { legacy } = this.keys;
    return [legacy.markers(customer), legacy.timeline(customer), legacy.sortedSet(customer)];
  }

  /**
   * Deletes the state of every customer of these partitions, before a state rebuild. Keys are per
   * customer, so a customer's partition is read off its markers: an accepted event's marker holds
   * the partition and offset it was accepted at (a timeline has no entry without one).
   */
  async clearPartitions(partitions: readonly number[]): Promise<number> {
    const wanted = new Set(partitions);
    const doomed: string[] = [];
    const stateKeys = await scanKeys(this.redis, this.keys.statePattern());
    for (let i = 0; i < stateKeys.length; i += 200) {
      const chunk = stateKeys.slice(i, i + 200);
      const p = this.redis.pipeline();
      for (const k of chunk) p.getBuffer(k);
      const values = (await execPipeline(p)) as Array<Buffer | null>;
      chunk.forEach((k, j) => {
        const stored = values[j];
        if (!stored || !isStoredState(stored)) return;
        const first = decodeState(this.keys.customerOf(k), stored).events.values().next();
        if (!first.done && wanted.has(first.value.partition)) doomed.push(k);
      });
    }
    doomed.push(...(await this.legacyOfPartitions(wanted)));
    return deleteKeys(this.redis, doomed);
  }

  /** The keys of earlier versions (legacy-state.ts) of customers of these partitions. */
  private async legacyOfPartitions(wanted: ReadonlySet<number>): Promise<string[]> {
    const doomed: string[] = [];
    const markerKeys = await scanKeys(this.redis, this.keys.legacy.markersPattern());
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
          if (legacyFieldHoldsPosition(flat[f]!) && /^\d+:\d+$/.test(value)) position = value;
        }
        if (position === undefined || !wanted.has(Number(position.slice(0, position.indexOf(':'))))) return;
        doomed.push(...this.legacyKeys(this.keys.customerOf(k)));
      });
    }
    return doomed;
  }
}
