import type { Redis } from 'ioredis';
import { BUCKET_TTL_MS } from '@cxg/engine';
import { LuaScript, deleteKeys, execPipeline, scanKeys, type ScriptArg, type ScriptCommand } from '@cxg/platform';
import type { BatchEffects, BatchState, KpiStore } from './handler.ts';
import type { KpiKeys } from './keys.ts';

/**
 * Markers go to one hash per slice of wall-clock time, dedupeTtlMs / MARKER_SLICES long, so ids
 * expire a slice at a time without per-field TTLs (Redis 7.0 has none). A lookup reads the
 * MARKER_SLICES + 1 slices still inside the retention: ids are remembered for at least dedupeTtlMs
 * and at most one slice longer.
 */
export const MARKER_SLICES = 8;

export interface KpiStoreOptions {
  keys: KpiKeys;
  /** How long accepted ids are remembered for duplicate judgement (same as the detector's). */
  dedupeTtlMs: number;
}

/** Keys and arguments as kpi_apply-variable.lua's header lists them; replies [1] when applied, [0, current] on a conflict. */
type ApplyReply = [applied: number, current?: string];
const kpiApply = new LuaScript<string[], ScriptArg[], ApplyReply>(new URL('./lua/kpi_apply-variable.lua', import.meta.url));
/** Keys: slice hashes, newest first; args: fields. Replies index/value pairs of the hits (kpi_markers-variable.lua). */
const kpiMarkers = new LuaScript<string[], string[], Array<number | string>>(new URL('./lua/kpi_markers-variable.lua', import.meta.url));

/**
 * The KPI worker's partition state in Redis: one pipelined read and one Lua call per batch.
 * Duplicate markers go to time slices (MARKER_SLICES).
 */
export class RedisKpiStore implements KpiStore {
  private readonly known = new Set<number>();
  private readonly applyBatch: ScriptCommand<string[], ScriptArg[], ApplyReply>;
  private readonly lookupMarkers: ScriptCommand<string[], string[], Array<number | string>>;

  constructor(
    private readonly redis: Redis,
    private readonly opts: KpiStoreOptions,
  ) {
    this.applyBatch = kpiApply.on(redis);
    this.lookupMarkers = kpiMarkers.on(redis);
  }

  get keys(): KpiKeys {
    return this.opts.keys;
  }

  private get sliceMs(): number {
    return Math.ceil(this.opts.dedupeTtlMs / MARKER_SLICES);
  }

  /** Start (epoch ms) of the slice `nowMs` writes to. */
  private sliceOf(nowMs: number): number {
    return Math.floor(nowMs / this.sliceMs) * this.sliceMs;
  }

  /** The slices a lookup at `nowMs` reads, newest first. */
  private lookupSlices(partition: number, nowMs: number): string[] {
    const newest = this.sliceOf(nowMs);
    return Array.from({ length: MARKER_SLICES + 1 }, (_, i) => this.opts.keys.seen(partition, newest - i * this.sliceMs));
  }

  /** One round trip: applied offset, watermark and the asked duplicate markers of a partition. */
  async read(partition: number, topic: string, fields: readonly string[], nowMs: number): Promise<BatchState> {
    const { keys } = this.opts;
    const p = this.redis.pipeline();
    p.hget(keys.applied(partition), topic);
    p.get(keys.watermark(partition));
    if (fields.length > 0) this.lookupMarkers.queue(p, this.lookupSlices(partition, nowMs), [...fields]);
    const res = await execPipeline(p);
    // Readers find partitions through this set (another slot, so not in the pipeline); idempotent.
    // Again whenever the partition has no applied offset: Redis may have lost the set with the rest.
    if (!this.known.has(partition) || res[0] === null) {
      await this.redis.sadd(keys.partitions(), String(partition));
      this.known.add(partition);
    }
    const markers = new Map<string, string>();
    const hits = fields.length === 0 ? [] : (res[2] as Array<number | string>);
    for (let i = 0; i < hits.length; i += 2) markers.set(fields[Number(hits[i]) - 1]!, String(hits[i + 1]));
    const wm = res[1] as string | null;
    return { applied: (res[0] as string | null) ?? null, watermarkMs: wm === null ? null : Number(wm), markers };
  }

  /** Applies a batch atomically; false when the applied offset moved since `read` (nothing changed). */
  async apply(e: BatchEffects): Promise<boolean> {
    const { keys, dedupeTtlMs } = this.opts;
    const k: string[] = [keys.applied(e.partition), keys.watermark(e.partition), keys.seen(e.partition, this.sliceOf(e.nowMs))];
    const args: Array<string | number> = [
      e.topic,
      e.expectedApplied ?? '',
      e.applied,
      e.watermarkMs === null ? '' : e.watermarkMs,
      // A slice's hash is written during that slice and looked up for dedupeTtlMs after it ends.
      this.sliceMs + dedupeTtlMs,
      e.markers.size,
    ];
    for (const [f, v] of e.markers) args.push(f, v);
    for (const d of e.deltas) {
      k.push(keys.bucket(e.partition, d.granularity, d.bucket));
      args.push(BUCKET_TTL_MS[d.granularity], d.fields.size);
      for (const [f, by] of d.fields) args.push(f, by);
    }
    const [ok] = await this.applyBatch.call(k, args);
    return ok === 1;
  }

  /** Deletes every key of these partitions (all share the partition's hash tag), before a state rebuild. */
  async clearPartitions(partitions: readonly number[]): Promise<number> {
    let n = 0;
    for (const p of partitions) n += await deleteKeys(this.redis, await scanKeys(this.redis, this.opts.keys.partitionPattern(p)));
    for (const p of partitions) this.known.delete(p);
    return n;
  }
}
