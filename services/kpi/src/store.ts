import type { Redis } from 'ioredis';
import type { BucketDelta } from '@cxg/engine';
import { BUCKET_TTL_MS } from '@cxg/engine';
import type { KpiKeys } from './keys.ts';
import { execPipeline, lua } from './lua.ts';

const DAY_MS = 86_400_000;

/** What one batch needs to know before it is judged. */
export interface BatchState {
  /** Last offset of this topic-partition whose effects are in Redis; null before the first batch. */
  applied: string | null;
  /** The partition's watermark before this batch (greatest applied event time), null when empty. */
  watermarkMs: number | null;
  /** Duplicate markers found for the asked fields (event ids, signal ids, contact ids → owner event id). */
  markers: Map<string, string>;
}

export interface BatchEffects {
  partition: number;
  topic: string;
  /** The applied offset the lookups were read against (compare-and-set). */
  expectedApplied: string | null;
  /** The batch's last offset. */
  applied: string;
  /** Greatest event time of the batch's accepted records, null when none was accepted. */
  watermarkMs: number | null;
  markers: ReadonlyMap<string, string>;
  deltas: readonly BucketDelta[];
  /** Wall clock: decides the day key the markers go to. */
  nowMs: number;
}

export interface KpiStoreOptions {
  keys: KpiKeys;
  /** How long accepted ids are remembered for duplicate judgement (same as the detector's). */
  dedupeTtlMs: number;
}

type Scripted = { cxKpiApply(numKeys: number, ...args: Array<string | number>): Promise<[number, string?]> };

/**
 * The KPI worker's partition state in Redis: one pipelined read and one Lua call per batch.
 * Duplicate markers go to a hash per wall-clock day, so ids expire a day at a time without
 * per-field TTLs (Redis 7.0 has none); lookups cover every day still inside the retention.
 */
export class RedisKpiStore {
  private readonly known = new Set<number>();

  constructor(
    private readonly redis: Redis,
    private readonly opts: KpiStoreOptions,
  ) {
    if (!('cxKpiApply' in redis)) redis.defineCommand('cxKpiApply', { lua: lua('kpi_apply') });
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
    if (!this.known.has(partition)) {
      // Readers find partitions through this set (another slot, so not in the pipeline); idempotent.
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
    const [ok] = await (this.redis as unknown as Scripted).cxKpiApply(k.length, ...k, ...args);
    return ok === 1;
  }
}
