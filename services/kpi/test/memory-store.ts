import type { BatchEffects, BatchState, KpiStore } from '../src/index.ts';
import { sorted, type BucketDump } from './support.ts';

/**
 * KpiStore in memory, with kpi_apply's semantics where the handler can tell: per partition the
 * applied offset of each topic, the watermark (only ever raised), duplicate markers and counters,
 * all changed together by `apply`, or not at all when the applied offset moved since `read`
 * (compare-and-set). Marker days and TTLs are not modelled (nothing expires in a test).
 */
export class MemoryKpiStore implements KpiStore {
  private readonly partitions = new Map<number, { applied: Map<string, string>; watermarkMs: number | null; markers: Map<string, string> }>();
  /** `<partition>|<m|h>:<bucket>` → field → count */
  private readonly counters = new Map<string, Map<string, number>>();

  private partition(p: number) {
    let state = this.partitions.get(p);
    if (state === undefined) this.partitions.set(p, (state = { applied: new Map(), watermarkMs: null, markers: new Map() }));
    return state;
  }

  async read(partition: number, topic: string, fields: readonly string[]): Promise<BatchState> {
    const state = this.partition(partition);
    const markers = new Map<string, string>();
    for (const f of fields) {
      const v = state.markers.get(f);
      if (v !== undefined) markers.set(f, v);
    }
    return { applied: state.applied.get(topic) ?? null, watermarkMs: state.watermarkMs, markers };
  }

  async apply(e: BatchEffects): Promise<boolean> {
    const state = this.partition(e.partition);
    if ((state.applied.get(e.topic) ?? null) !== e.expectedApplied) return false;
    for (const [f, v] of e.markers) state.markers.set(f, v);
    for (const d of e.deltas) {
      const key = `${e.partition}|${d.granularity}:${d.bucket}`;
      const row = this.counters.get(key) ?? new Map<string, number>();
      for (const [f, by] of d.fields) row.set(f, (row.get(f) ?? 0) + by);
      this.counters.set(key, row);
    }
    if (e.watermarkMs !== null && (state.watermarkMs === null || e.watermarkMs > state.watermarkMs)) state.watermarkMs = e.watermarkMs;
    state.applied.set(e.topic, e.applied);
    return true;
  }

  /** The counters summed over partitions, as `bucketsInRedis` dumps Redis. */
  buckets(): BucketDump {
    const out: BucketDump = new Map();
    for (const [key, fields] of this.counters) {
      const id = key.slice(key.indexOf('|') + 1);
      const row = out.get(id) ?? {};
      for (const [f, v] of fields) row[f] = (row[f] ?? 0) + v;
      out.set(id, row);
    }
    return sorted(out);
  }
}
