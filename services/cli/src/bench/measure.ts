// Timing and reading helpers of `cxg bench`: stages, worker /metrics, Redis MEMORY USAGE.
import { cpus } from 'node:os';
import type { Redis } from 'ioredis';
import { scanKeys } from '@cxg/platform';
import type { ProfileShare } from './profile.ts';

/** One measured row of the bench table. */
export interface Stage {
  /** Short stable id, e.g. `detector` or `ceiling:detector` (the JSON's key for comparisons). */
  id: string;
  stage: string;
  records: number;
  seconds: number;
  perSecond: number;
  batchP50Ms?: number;
  batchP99Ms?: number;
  note?: string;
  /**
   * Where the CPU went while the stage ran: cores the worker processes used together (their
   * process_cpu_seconds_total over the stage's seconds) and the share of all the machine's cores
   * that were busy (Kafka, the registry and Redis included).
   */
  cpu?: { workerCores: number; machineBusy: number; cores: number };
  /** With --cpu-prof: the worker's profile and its self time by package. */
  profile?: { file: string; top: ProfileShare[] };
}

export const elapsed = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
export const now = (): bigint => process.hrtime.bigint();

export function stageOf(id: string, stage: string, records: number, seconds: number, extra: Partial<Stage> = {}): Stage {
  return { id, stage, records, seconds, perSecond: seconds > 0 ? records / seconds : 0, ...extra };
}

/** Until `check` gives a value (polled every `everyMs`); throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench: ${what} did not happen within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Quantile in ms from a Prometheus histogram's cumulative buckets (upper bound of the bucket that holds it). */
export function quantileMs(metricsText: string, name: string, q: number): number | undefined {
  const buckets = [...metricsText.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"[^}]*\\} (\\d+)`, 'gm'))].map((m) => ({
    le: m[1] === '+Inf' ? Infinity : Number(m[1]),
    n: Number(m[2]),
  }));
  const total = buckets.at(-1)?.n ?? 0;
  if (total === 0) return undefined;
  return (buckets.find((b) => b.n >= q * total)?.le ?? Infinity) * 1000;
}

/** Sum of a metric's samples whose label set contains every one of `labels` (`name="value"`). */
export function metricSum(text: string, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? ([0-9.e+-]+)$`, 'gm'))) {
    if (labels.every((l) => (m[1] ?? '').includes(l))) sum += Number(m[2]);
  }
  return sum;
}

/** Exact quantile (nearest rank) of `values` in their unit; undefined when empty. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** MEMORY USAGE of each key (0: missing), one pipelined round trip per 500 keys. */
export async function memoryUsage(redis: Redis, keys: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < keys.length; i += 500) {
    const p = redis.pipeline();
    for (const k of keys.slice(i, i + 500)) p.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
    for (const [err, v] of (await p.exec()) ?? []) out.push(err ? 0 : Number(v ?? 0));
  }
  return out;
}

/** Total MEMORY USAGE and count of the keys matching `pattern`. */
export async function memoryOfPattern(redis: Redis, pattern: string): Promise<{ keys: number; bytes: number }> {
  const keys = await scanKeys(redis, pattern);
  const bytes = (await memoryUsage(redis, keys)).reduce((a, b) => a + b, 0);
  return { keys: keys.length, bytes };
}

/** Busy and total CPU time of the machine so far, all cores (ms). */
export function machineCpu(): { busy: number; total: number; cores: number } {
  let busy = 0;
  let total = 0;
  const all = cpus();
  for (const { times } of all) {
    const t = times.user + times.nice + times.sys + times.irq + times.idle;
    total += t;
    busy += t - times.idle;
  }
  return { busy, total, cores: all.length };
}

/** Share of the machine's CPU time that was busy between two `machineCpu` readings. */
export const busyShare = (a: ReturnType<typeof machineCpu>, b: ReturnType<typeof machineCpu>): number => (b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0);
