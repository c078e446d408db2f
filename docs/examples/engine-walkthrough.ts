// The worked examples of docs/detection.md and docs/kpis.md that `cxg replay` cannot show, computed
// with the engine's own code: the reorder buffer, timeline pruning, rolling KPI windows and the
// alert state machine. Run from the repository root:  npx tsx docs/examples/engine-walkthrough.ts
import { readFileSync } from 'node:fs';
import {
  DEFAULT_DETECTION,
  KPI_WINDOWS,
  ReorderBuffer,
  bucketDeltas,
  bucketIds,
  emptyKpiCounters,
  evaluateAlerts,
  foldBuckets,
  incrementsOf,
  kpiEventTime,
  kpiSettingsOf,
  kpiTable,
  parseContractsConfig,
  pruneTimeline,
  replay,
  windowBuckets,
  type AlertMemory,
  type ContactEvent,
  type KpiEvent,
  type TimelineEntry,
  type WebJourneyEvent,
  type CounterSet,
  type KpiWindow,
} from '@cxg/engine';
import { kpisDocument } from '@cxg/kpi';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const config = parseContractsConfig(readFileSync('docs/examples/contracts.yaml', 'utf8'), 'docs/examples/contracts.yaml');

// 1. Reorder buffer of one partition, L = 2 minutes, fed by both co-partitioned topics.
console.log('== reorder buffer (L = 2m)');
interface Item { id: string; topic: string; offset: number; started: string; ended: string }
const C = 'cx.contacts.v1';
const W = 'cx.web.v1';
const buffer = new ReorderBuffer<Item>({
  allowedLatenessMs: 120_000,
  key: (i) => ({ eventTime: at(i.ended), startedAt: at(i.started), eventId: i.id }),
  position: (i) => ({ stream: i.topic, offset: i.offset }),
  streams: [C, W],
});
const steps: Array<[string, Item | 'web idle' | 'all idle']> = [
  ['e-1 arrives', { id: 'e-1', topic: C, offset: 10, started: '2026-11-03T08:30:00Z', ended: '2026-11-03T08:42:15Z' }],
  ['w-1 arrives', { id: 'w-1', topic: W, offset: 4, started: '2026-11-03T07:50:00Z', ended: '2026-11-03T08:05:00Z' }],
  ['w-9 arrives', { id: 'w-9', topic: W, offset: 5, started: '2026-11-03T08:40:00Z', ended: '2026-11-03T08:45:00Z' }],
  ['e-y arrives', { id: 'e-y', topic: C, offset: 11, started: '2026-11-03T08:35:00Z', ended: '2026-11-03T08:41:00Z' }],
  ['e-2 arrives', { id: 'e-2', topic: C, offset: 12, started: '2026-11-03T10:00:00Z', ended: '2026-11-03T10:20:40Z' }],
  ['web idle', 'web idle'],
  ['e-late arrives', { id: 'e-late', topic: C, offset: 13, started: '2026-11-03T09:00:00Z', ended: '2026-11-03T09:10:00Z' }],
  ['all idle', 'all idle'],
];
for (const [what, step] of steps) {
  const out = step === 'web idle' ? buffer.setIdle([W]) : step === 'all idle' ? buffer.flush() : buffer.push(step);
  const released = out.map((r) => r.item.id + (r.late ? ' (late)' : '')).join(', ') || '-';
  const commit = Object.fromEntries([...buffer.minBufferedOffsets()].map(([topic, offset]) => [topic, Number(offset)]));
  console.log(`${what.padEnd(15)} released: ${released.padEnd(16)} held: ${buffer.size}  smallest buffered offsets: ${JSON.stringify(commit)}`);
}

// 2. Timeline pruning by dominance (default settings: R 7d, S 24h, same family, L 2m).
console.log('\n== timeline pruning at watermark 2026-11-10T12:00:00Z');
const entry = (kind: TimelineEntry['kind'], id: string, family: string, ended: string): TimelineEntry => ({
  kind,
  event_id: id,
  id: `${kind === 'contact' ? 'c' : 's'}-${id}`,
  customer_id: 'cust-1',
  provider_id: kind === 'contact' ? 'prov-a' : null,
  channel: kind === 'contact' ? 'PHONE' : null,
  family,
  started_at: at(ended) - 600_000,
  ended_at: at(ended),
});
const timeline = [
  ...Array.from({ length: 10 }, (_, i) => entry('contact', `b${i + 1}`, 'billing', `2026-11-${String(i + 1).padStart(2, '0')}T09:00:00Z`)),
  entry('contact', 't1', 'tech', '2026-11-02T09:00:00Z'),
  entry('journey', 'w1', 'billing', '2026-11-09T08:00:00Z'),
  entry('journey', 'w2', 'billing', '2026-11-07T08:00:00Z'),
];
const pruned = pruneTimeline(timeline, at('2026-11-10T12:00:00Z'), DEFAULT_DETECTION);
console.log(`${timeline.length} entries in, ${pruned.entries.length} kept, ${pruned.truncated} truncated:`);
for (const e of pruned.entries) console.log(`  ${e.event_id.padEnd(4)} ${e.kind.padEnd(8)} ${e.family.padEnd(8)} ended ${iso(e.ended_at)}`);

// 3. Rolling windows over the examples' events, relative to the store watermark.
console.log('\n== rolling KPI windows over docs/examples/timeline.ndjson + month.ndjson');
const lines = ['docs/examples/timeline.ndjson', 'docs/examples/month.ndjson'].flatMap((f) => readFileSync(f, 'utf8').split('\n'));
const records = lines.flatMap((text, i) => (text.trim() === '' ? [] : [{ line: i + 1, ...(JSON.parse(text) as { topic: string; value: unknown }) }]));
const result = replay(records, { nowMs: Date.now() });
const events: KpiEvent[] = [
  ...result.accepted.flatMap((e): KpiEvent[] =>
    'contact_id' in e ? [{ kind: 'contact', event: e as ContactEvent }] : 'session_id' in e ? [{ kind: 'journey', event: e as WebJourneyEvent }] : [],
  ),
  ...result.signals.map((s): KpiEvent => ({ kind: 'signal', event: s })),
];
const settings = kpiSettingsOf(config);
const watermark = Math.max(...events.map(kpiEventTime));
const buckets = new Map<string, Record<string, string>>();
for (const d of bucketDeltas(events.flatMap((e) => incrementsOf(e, settings)))) {
  const hash = buckets.get(`${d.granularity}${d.bucket}`) ?? {};
  for (const [field, by] of d.fields) hash[field] = String(Number(hash[field] ?? 0) + by);
  buckets.set(`${d.granularity}${d.bucket}`, hash);
}
console.log(`store watermark ${iso(watermark)}`);
const windows = new Map<KpiWindow, CounterSet>();
for (const w of KPI_WINDOWS) {
  const range = windowBuckets(w, watermark);
  const size = range.granularity === 'm' ? 60_000 : 3_600_000;
  const set = foldBuckets(bucketIds(range).map((b) => buckets.get(`${range.granularity}${b}`) ?? {}));
  windows.set(w, set);
  const table = kpiTable(set);
  console.log(`${w}: ${range.to - range.from + 1} ${range.granularity === 'm' ? 'minute' : 'hour'} buckets, [${iso(range.from * size)}, ${iso((range.to + 1) * size)})`);
  const show = (readings: Record<string, { value: number | null; sample: number }>) =>
    Object.entries(readings)
      .map(([k, r]) => `${k} ${r.value === null ? 'null' : Number(r.value.toFixed(4))} (n=${r.sample})`)
      .join(', ');
  for (const [p, r] of Object.entries(table.providers)) console.log(`  ${p}: ${show(r)}`);
  for (const [f, r] of Object.entries(table.web)) console.log(`  web ${f}: ${show(r)}`);
}
// What `cxg kpis --window 24h --provider prov-a --json` (and GET /kpis?window=24h&provider=prov-a) would print over these buckets.
console.log(JSON.stringify(kpisDocument({ watermarkMs: watermark, windows }, { windows: ['24h'], provider: 'prov-a' })));

// 4. The alert state machine of c-prov-a-2026's threshold {repeat_rate, max 0.25, 24h, min_samples 50, clear_margin 0.02}.
console.log('\n== alerts: repeat_rate max 0.25, window 24h, min_samples 50, clear_margin 0.02');
const memory = new Map<string, AlertMemory>();
let now = at('2026-11-03T12:00:00Z');
for (const [repeats, answered] of [[12, 40], [18, 60], [24, 100], [23, 100], [25, 100], [2501, 10000]] as const) {
  now += 60_000;
  const out = evaluateAlerts({
    contracts: config.contracts,
    watermarkMs: now,
    counters: (window, provider) => (window === '24h' && provider === 'prov-a' ? { ...emptyKpiCounters(), answered, repeats } : undefined),
    memory: (key) => memory.get(key),
  });
  for (const o of out) memory.set(o.key, o.next);
  const state = memory.get('c-prov-a-2026|prov-a|repeat_rate|24h') ?? { state: 'OK', seq: 0 };
  console.log(`${`${repeats}/${answered}`.padEnd(10)} ${out.length === 0 ? '(no transition)' : JSON.stringify(out[0]!.alert)}  -> ${state.state} #${state.seq}`);
}
