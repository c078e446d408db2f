/**
 * Per-partition reorder buffer (docs/detection.md, "Order independence and lateness"). Items are released in
 * (event time, started_at, event_id) order once their event time is strictly below the
 * watermark (greatest event time seen − L). Strictly, because an in-order event can still arrive
 * with an event time equal to the watermark; so every event of one event time leaves in the same
 * release, which `detectInOrder` relies on.
 *
 * Idleness is the source's business, not the buffer's: the caller says which streams have nothing
 * more to give (`setIdle`) — for Kafka, a partition whose consumer position has reached the log end
 * and stayed there for a grace period. Silence in this process is never idleness: a worker that is
 * busy, stalled or catching up on a backlog receives nothing for a while from a stream that still
 * holds records, and releasing past that stream would make its records late.
 *
 * Items are opaque; the caller supplies their order key and, optionally, their position (stream =
 * topic, offset) so that the committed offset of each stream never passes the smallest offset
 * still buffered.
 */
import { MinHeap } from './heap.ts';
import { compareOrderKeys, type OrderKey } from './order.ts';

export type Offset = bigint | number | string;

export interface ReorderOptions<T> {
  allowedLatenessMs: number;
  key: (item: T) => OrderKey;
  /** Where the item came from; `stream` tells apart the topics of one co-partitioned buffer. */
  position?: (item: T) => { stream: string; offset: Offset } | undefined;
  /**
   * The co-partitioned input streams (topics) feeding this buffer. When given, the watermark is the
   * smallest over the streams of (greatest event time seen on it − L), so a topic the consumer
   * happens to fetch ahead of the other cannot make the other's events late; a stream declared
   * idle is left out, so a quiet topic blocks nobody. Without it, the buffer has one stream `''`.
   */
  streams?: readonly string[];
}

export interface Released<T> {
  item: T;
  /** Its event time was already below what had been released: processed out of order. */
  late: boolean;
}

/** How long a source must have had nothing more to give before it counts as idle (wall clock). */
export const DEFAULT_IDLE_GRACE_MS = 5_000;

interface Slot<T> {
  item: T;
  key: OrderKey;
  stream: string | undefined;
  offset: bigint | undefined;
}

/** Smallest buffered offset per stream; released offsets are deleted lazily. */
class OffsetTracker {
  private readonly heaps = new Map<string, MinHeap<bigint>>();
  private readonly removed = new Map<string, Map<bigint, number>>();

  add(stream: string, offset: bigint): void {
    let heap = this.heaps.get(stream);
    if (heap === undefined) this.heaps.set(stream, (heap = new MinHeap((a, b) => (a < b ? -1 : a > b ? 1 : 0))));
    heap.push(offset);
  }

  remove(stream: string, offset: bigint): void {
    let gone = this.removed.get(stream);
    if (gone === undefined) this.removed.set(stream, (gone = new Map()));
    gone.set(offset, (gone.get(offset) ?? 0) + 1);
    this.min(stream); // pop what is gone from the top now, so nothing piles up between queries
  }

  min(stream: string): bigint | undefined {
    const heap = this.heaps.get(stream);
    const gone = this.removed.get(stream);
    if (heap === undefined) return undefined;
    for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
      const n = gone?.get(top) ?? 0;
      if (n === 0) return top;
      heap.pop();
      if (n === 1) gone!.delete(top);
      else gone!.set(top, n - 1);
    }
    return undefined;
  }

  streams(): string[] {
    return [...this.heaps.keys()];
  }

  clear(): void {
    this.heaps.clear();
    this.removed.clear();
  }
}

export class ReorderBuffer<T> {
  private readonly heap = new MinHeap<Slot<T>>((a, b) => compareOrderKeys(a.key, b.key));
  private readonly offsets = new OffsetTracker();
  private readonly lateness: number;
  private readonly streams: readonly string[];
  private maxSeen = -Infinity;
  /** Every released item except late ones has an event time below this. */
  private frontier = -Infinity;
  private late = 0;
  private readonly maxSeenByStream = new Map<string, number>();
  private readonly idle = new Set<string>();

  constructor(private readonly options: ReorderOptions<T>) {
    this.lateness = options.allowedLatenessMs;
    this.streams = options.streams !== undefined && options.streams.length > 0 ? options.streams : [''];
  }

  get size(): number {
    return this.heap.size;
  }

  /** Late items released so far (the `late` metric). */
  get lateCount(): number {
    return this.late;
  }

  /** Greatest event time seen, or null before the first item. */
  get maxEventTimeMs(): number | null {
    return this.maxSeen === -Infinity ? null : this.maxSeen;
  }

  /** Greatest event time seen − L, or null before the first item. */
  get watermarkMs(): number | null {
    return this.maxSeen === -Infinity ? null : this.maxSeen - this.lateness;
  }

  /**
   * Adds an item and returns what it releases, in order. Its stream is active again: it delivered.
   * An item whose event time is below what was already released comes back at once, flagged late:
   * processed, never dropped.
   */
  push(item: T): Released<T>[] {
    const out: Released<T>[] = [];
    const key = this.options.key(item);
    const pos = this.options.position?.(item);
    const stream = this.options.streams === undefined ? '' : (pos?.stream ?? '');
    this.idle.delete(stream);
    if (key.eventTime > (this.maxSeenByStream.get(stream) ?? -Infinity)) this.maxSeenByStream.set(stream, key.eventTime);
    if (key.eventTime < this.frontier) {
      this.late++;
      out.push({ item, late: true });
      return out;
    }
    const slot: Slot<T> = { item, key, stream: pos?.stream, offset: pos === undefined ? undefined : BigInt(pos.offset) };
    this.heap.push(slot);
    if (slot.stream !== undefined && slot.offset !== undefined) this.offsets.add(slot.stream, slot.offset);
    if (key.eventTime > this.maxSeen) this.maxSeen = key.eventTime;
    this.advance(out);
    return out;
  }

  /**
   * Declares which streams have nothing more to give (all others are active) and returns what that
   * releases: an idle stream holds nobody back, and when every stream is idle the buffer empties
   * (later items at or below the greatest event time seen are then late). Without `streams` in the
   * options the buffer's one stream is `''`.
   */
  setIdle(idle: Iterable<string>): Released<T>[] {
    this.idle.clear();
    for (const s of idle) if (this.streams.includes(s)) this.idle.add(s);
    const out: Released<T>[] = [];
    this.advance(out);
    return out;
  }

  /** Releases everything: every stream is idle from now on, until it delivers again. */
  flush(): Released<T>[] {
    return this.setIdle(this.streams);
  }

  /**
   * Releases below the smallest over the active streams of (greatest event time seen on it − L). A
   * stream that has delivered nothing yet holds everything back until it delivers or is idle.
   */
  private advance(out: Released<T>[]): void {
    let wm = Infinity;
    for (const s of this.streams) {
      if (!this.idle.has(s)) wm = Math.min(wm, (this.maxSeenByStream.get(s) ?? -Infinity) - this.lateness);
    }
    if (wm === Infinity) {
      this.releaseBelow(Infinity, out); // every stream is idle
      if (this.maxSeen !== -Infinity) this.frontier = Math.max(this.frontier, this.maxSeen + 1);
      return;
    }
    this.frontier = Math.max(this.frontier, wm);
    this.releaseBelow(this.frontier, out);
  }

  /** Smallest offset still buffered for the stream, or undefined: commit no further than it. */
  minBufferedOffset(stream = ''): bigint | undefined {
    return this.offsets.min(stream);
  }

  /** Smallest buffered offset of every stream that still has buffered items. */
  minBufferedOffsets(): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const stream of this.offsets.streams()) {
      const min = this.offsets.min(stream);
      if (min !== undefined) out.set(stream, min);
    }
    return out;
  }

  /** Drops everything (a revoked partition): the new owner re-reads from the committed offsets. */
  clear(): void {
    this.heap.clear();
    this.offsets.clear();
    this.maxSeen = -Infinity;
    this.frontier = -Infinity;
    this.maxSeenByStream.clear();
    this.idle.clear();
  }

  private releaseBelow(limit: number, out: Released<T>[]): void {
    for (let top = this.heap.peek(); top !== undefined && top.key.eventTime < limit; top = this.heap.peek()) {
      this.heap.pop();
      if (top.stream !== undefined && top.offset !== undefined) this.offsets.remove(top.stream, top.offset);
      out.push({ item: top.item, late: false });
    }
  }
}
