import type { Redis } from 'ioredis';
import { BUCKET_TTL_MS } from '@cxg/engine';
import { LuaScript, deleteKeys, execPipeline, scanKeys, type ScriptArg, type ScriptCommand } from '@cxg/platform';
import type { BatchEffects, BatchState, KpiStore } from './handler.ts';
import type { KpiKeys } from './keys.ts';

const DAY_MS = 86_400_000;

export interface KpiStoreOptions {
  keys: KpiKeys;
  /** How long accepted ids are remembered for duplicate judgement (same as the detector's). */
  dedupeTtlMs: number;
}

/** Keys and arguments as kpi_apply-variable.lua's header lists them; replies [1] when applied, [0, current] on a conflict. */
type ApplyReply = [applied: number, current?: string];
const kpiApply = new LuaScript<string[], ScriptArg[], ApplyReply>(new URL('./lua/kpi_apply-variable.lua', import.meta.url));

/**
 * The KPI worker's partition state in Redis: one pipelined read and one Lua call per batch.
 * Duplicate markers go to a hash per wall-clock day, so ids expire a day at a time without
 * per-field TTLs (Redis 7.0 has none); lookups cover every day still inside the retention.
 */
export class RedisKpiStore implements KpiStore {
  private readonly known = new Set<number>();
  private readonly applyBatch: ScriptCommand<string[], ScriptArg[], ApplyReply>;

  constructor(
    private readonly redis: Redis,
    private readonly opts: KpiStoreOptions,
  ) {
    this.applyBatch = kpiApply.on(redis);
  }

  get keys(): KpiKeys {
    return this.opts.keys;
  }

  private markerDays(nowMs: number): number[] {
    const today = Math.floor(nowMs / DAY_MS);
    const back = Math.ceil(this.opts.dedupeTtlMs / DAY_MS);
    const days: number[] = [];
    for (let d = today; d >= today - back; d--) days.push(d);
    return days;
  }

  /** One round trip: applied offset, watermark and the asked duplicate markers of a partition. */
  async read(partition: number, topic: string, fields: readonly string[], nowMs: number): Promise<BatchState> {
    const { keys } = this.opts;
    const p = this.redis.pipeline();
    p.hget(keys.applied(partition), topic);
    p.get(keys.watermark(partition));
    const days = fields.length === 0 ? [] : this.markerDays(nowMs);
    for (const d of days) p.hmget(keys.seen(partition, d), ...fields);
    const res = await execPipeline(p);
    // Readers find partitions through this set (another slot, so not in the pipeline); idempotent.
    // Again whenever the partition has no applied offset: Redis may have lost the set with the rest.
    if (!this.known.has(partition) || res[0] === null) {
      await this.redis.sadd(keys.partitions(), String(partition));
      this.known.add(partition);
    }
    const markers = new Map<string, string>();
    days.forEach((_, i) => {
      const values = res[2 + i] as Array<string | null>;
      values.forEach((v, j) => {
        if (v !== null && !markers.has(fields[j]!)) markers.set(fields[j]!, v);
      });
    });
    const wm = res[1] as string | null;
    return { applied: (res[0] as string | null) ?? null, watermarkMs: wm === null ? null : Number(wm), markers };
  }

  /** Applies a batch atomically; false when the applied offset moved since `read` (nothing changed). */
  async apply(e: BatchEffects): Promise<boolean> {
    const { keys, dedupeTtlMs } = this.opts;
    const day = Math.floor(e.nowMs / DAY_MS);
    const k: string[] = [keys.applied(e.partition), keys.watermark(e.partition), keys.seen(e.partition, day)];
    const args: Array<string | number> = [
      e.topic,
      e.expectedApplied ?? '',
      e.applied,
      e.watermarkMs === null ? '' : e.watermarkMs,
      // A day's hash is written during that day and looked up for dedupeTtlMs after it ends.
      DAY_MS + dedupeTtlMs,
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
