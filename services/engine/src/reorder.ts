/**
 * Per-partition reorder buffer (SPEC section 2, "Order independence"). Items are released in
 * (event time, started_at, event_id) order once their event time is strictly below the
 * watermark (greatest event time seen − L). Strictly, because an in-order event can still arrive
 * with an event time equal to the watermark; so every event of one event time leaves in the same
 * release, which `detectInOrder` relies on.
 *
 * Wall-clock times are passed in by the caller (the engine reads no clock). Items are opaque;
 * the caller supplies their order key and, optionally, their position (stream = topic, offset)
 * so that the committed offset of each stream never passes the smallest offset still buffered.
 */
import { MinHeap } from './heap.ts';
import { compareOrderKeys, type OrderKey } from './order.ts';

export type Offset = bigint | number | string;

export interface ReorderOptions<T> {
  allowedLatenessMs: number;
  /** Extra wall-clock quiet time, beyond L, before an idle partition releases everything. */
  idleGraceMs?: number;
  key: (item: T) => OrderKey;
  /** Where the item came from; `stream` tells apart the topics of one co-partitioned buffer. */
  position?: (item: T) => { stream: string; offset: Offset } | undefined;
  /**
   * The co-partitioned input streams (topics) feeding this buffer. When given, the watermark is the
   * smallest over the streams of (greatest event time seen on it − L), so a topic the consumer
   * happens to fetch ahead of the other cannot make the other's events late; a stream that has
   * not delivered for `idleGraceMs` of wall clock is left out, so a quiet topic blocks nobody.
   */
  streams?: readonly string[];
}

export interface Released<T> {
  item: T;
  /** Its event time was already below what had been released: processed out of order. */
  late: boolean;
}

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
  private readonly idleAfterMs: number;
  private maxSeen = -Infinity;
  /** Every released item except late ones has an event time below this. */
  private frontier = -Infinity;
  private lastArrivalWallMs: number | undefined;
  private late = 0;
  private readonly streamIdleMs: number;
  private readonly maxSeenByStream = new Map<string, number>();
  private readonly lastArrivalByStream = new Map<string, number>();
  /** Wall clock of the first push: a declared stream that never delivered counts as active since then. */
  private firstArrivalWallMs: number | undefined;

  constructor(private readonly options: ReorderOptions<T>) {
    this.lateness = options.allowedLatenessMs;
    this.idleAfterMs = options.allowedLatenessMs + (options.idleGraceMs ?? DEFAULT_IDLE_GRACE_MS);
    this.streamIdleMs = options.idleGraceMs ?? DEFAULT_IDLE_GRACE_MS;
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
   * Adds an item and returns what it releases, in order. An idle release that is due comes
   * first (the caller's timer may have been late). An item whose event time is below what was
   * already released comes back at once, flagged late: processed, never dropped.
   */
  push(item: T, wallNowMs: number): Released<T>[] {
    const out = this.releaseIdle(wallNowMs);
    this.lastArrivalWallMs = wallNowMs;
    this.firstArrivalWallMs ??= wallNowMs;
    const key = this.options.key(item);
    const pos = this.options.position?.(item);
    if (pos !== undefined) {
      this.lastArrivalByStream.set(pos.stream, wallNowMs);
      if (key.eventTime > (this.maxSeenByStream.get(pos.stream) ?? -Infinity)) this.maxSeenByStream.set(pos.stream, key.eventTime);
    }
    if (key.eventTime < this.frontier) {
      this.late++;
      out.push({ item, late: true });
      return out;
    }
    const slot: Slot<T> = { item, key, stream: pos?.stream, offset: pos === undefined ? undefined : BigInt(pos.offset) };
    this.heap.push(slot);
    if (slot.stream !== undefined && slot.offset !== undefined) this.offsets.add(slot.stream, slot.offset);
    if (key.eventTime > this.maxSeen) this.maxSeen = key.eventTime;
    this.frontier = Math.max(this.frontier, this.watermarkAt(wallNowMs));
    this.releaseBelow(this.frontier, out);
    return out;
  }

  /** Greatest event time seen − L; with `streams`, the smallest of that over the streams not idle. */
  private watermarkAt(wallNowMs: number): number {
    const streams = this.options.streams;
    if (streams === undefined || streams.length === 0) return this.maxSeen - this.lateness;
    let wm = Infinity;
    for (const s of streams) {
      const last = this.lastArrivalByStream.get(s) ?? this.firstArrivalWallMs ?? wallNowMs;
      if (wallNowMs - last >= this.streamIdleMs) continue;
      wm = Math.min(wm, (this.maxSeenByStream.get(s) ?? -Infinity) - this.lateness);
    }
    return wm === Infinity ? this.maxSeen - this.lateness : wm;
  }

  /**
   * Releases everything when no item arrived for L + idle grace of wall clock; with `streams`, also
   * what a stream that went quiet no longer holds back.
   */
  releaseIdle(wallNowMs: number): Released<T>[] {
    if (this.heap.size === 0 || this.lastArrivalWallMs === undefined) return [];
    if (wallNowMs - this.lastArrivalWallMs >= this.idleAfterMs) return this.flush();
    const out: Released<T>[] = [];
    if (this.options.streams !== undefined && this.maxSeen !== -Infinity) {
      this.frontier = Math.max(this.frontier, this.watermarkAt(wallNowMs));
      this.releaseBelow(this.frontier, out);
    }
    return out;
  }

  /** Wall-clock time at which `releaseIdle` will release, or null when nothing is buffered. */
  idleDeadlineMs(): number | null {
    return this.heap.size === 0 || this.lastArrivalWallMs === undefined ? null : this.lastArrivalWallMs + this.idleAfterMs;
  }

  /** Releases everything now; later items at or below the greatest event time are then late. */
  flush(): Released<T>[] {
    const out: Released<T>[] = [];
    this.releaseBelow(Infinity, out);
    if (this.maxSeen !== -Infinity) this.frontier = Math.max(this.frontier, this.maxSeen + 1);
    return out;
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
    this.lastArrivalWallMs = undefined;
    this.firstArrivalWallMs = undefined;
    this.maxSeenByStream.clear();
    this.lastArrivalByStream.clear();
  }

  private releaseBelow(limit: number, out: Released<T>[]): void {
    for (let top = this.heap.peek(); top !== undefined && top.key.eventTime < limit; top = this.heap.peek()) {
      this.heap.pop();
      if (top.stream !== undefined && top.offset !== undefined) this.offsets.remove(top.stream, top.offset);
      out.push({ item: top.item, late: false });
    }
  }
}
