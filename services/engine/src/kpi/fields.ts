/**
 * The layout of one bucket: a flat map of counter fields, `<provider>|<counter>` and
 * `web|<family>|<counter>`, so a bucket is one Redis hash that HINCRBY updates and HGETALL reads.
 * `bucketDeltas` groups a batch's increments per bucket; `foldBuckets` sums buckets back into counters.
 *
 * Provider ids `all` and ids starting with `web|` are reserved by this layout.
 */
import { emptyKpiCounters, type KpiCounters, type WebKpiCounters } from '../rating/kpis.ts';
import { GRANULARITIES, bucketOf, type Granularity } from './buckets.ts';
import { KPI_COUNTER_NAMES, WEB_COUNTER_NAMES, type KpiCounterName, type KpiIncrement, type WebCounterName } from './increments.ts';

const WEB = 'web|';

export function counterField(inc: Pick<KpiIncrement, 'scope' | 'key' | 'counter'>): string {
  return inc.scope === 'web' ? `${WEB}${inc.key}|${inc.counter}` : `${inc.key}|${inc.counter}`;
}

export type ParsedField =
  | { scope: 'provider'; key: string; counter: KpiCounterName }
  | { scope: 'web'; key: string; counter: WebCounterName };

/** Null for a field this version does not know (a newer writer's counter): readers skip it. */
export function parseCounterField(field: string): ParsedField | null {
  const bar = field.lastIndexOf('|');
  if (bar <= 0) return null;
  const counter = field.slice(bar + 1);
  const head = field.slice(0, bar);
  if (head.startsWith(WEB)) {
    const fam = head.slice(WEB.length);
    return fam !== '' && !fam.includes('|') && (WEB_COUNTER_NAMES as readonly string[]).includes(counter)
      ? { scope: 'web', key: fam, counter: counter as WebCounterName }
      : null;
  }
  return (KPI_COUNTER_NAMES as readonly string[]).includes(counter) ? { scope: 'provider', key: head, counter: counter as KpiCounterName } : null;
}

export interface BucketDelta {
  granularity: Granularity;
  bucket: number;
  /** field → amount to add */
  fields: Map<string, number>;
}

/** Every increment lands in its minute bucket and in its hour bucket; ordered by granularity, then bucket. */
export function bucketDeltas(increments: Iterable<KpiIncrement>): BucketDelta[] {
  const byBucket = new Map<string, BucketDelta>();
  for (const inc of increments) {
    const field = counterField(inc);
    for (const granularity of GRANULARITIES) {
      const bucket = bucketOf(granularity, inc.at);
      const id = `${granularity}${bucket}`;
      let delta = byBucket.get(id);
      if (!delta) byBucket.set(id, (delta = { granularity, bucket, fields: new Map() }));
      delta.fields.set(field, (delta.fields.get(field) ?? 0) + inc.by);
    }
  }
  return [...byBucket.values()].sort((a, b) => a.granularity.localeCompare(b.granularity) || a.bucket - b.bucket);
}

function emptyWebKpiCounters(): WebKpiCounters {
  return { journeys: 0, completed: 0, identified_switch_outcome_journeys: 0, switches: 0 };
}

/** Counters over some buckets, per provider (incl. `all`) and per journey family (incl. `all`). */
export interface CounterSet {
  providers: Map<string, KpiCounters>;
  web: Map<string, WebKpiCounters>;
}

/** Sums bucket hashes (field → integer text, as HGETALL returns them). Numbers stay numbers while safe. */
export function foldBuckets(buckets: Iterable<Readonly<Record<string, string>>>): CounterSet {
  const providers = new Map<string, Record<string, bigint>>();
  const web = new Map<string, Record<string, bigint>>();
  for (const hash of buckets) {
    for (const [field, text] of Object.entries(hash)) {
      const parsed = parseCounterField(field);
      if (parsed === null) continue;
      const target = parsed.scope === 'web' ? web : providers;
      let row = target.get(parsed.key);
      if (!row) target.set(parsed.key, (row = {}));
      row[parsed.counter] = (row[parsed.counter] ?? 0n) + BigInt(text);
    }
  }
  const narrow = (v: bigint | undefined): number | bigint => (v === undefined ? 0 : v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  const out: CounterSet = { providers: new Map(), web: new Map() };
  for (const [key, row] of providers) {
    const c = emptyKpiCounters();
    for (const name of KPI_COUNTER_NAMES) c[name] = narrow(row[name]);
    out.providers.set(key, c);
  }
  for (const [key, row] of web) {
    const c = emptyWebKpiCounters();
    for (const name of WEB_COUNTER_NAMES) c[name] = narrow(row[name]);
    out.web.set(key, c);
  }
  return out;
}
