// The KPI worker's batch logic against the real Redis (REDIS_URL, default 127.0.0.1:6379), fed with
// Kafka-shaped batches in memory. A crash is simulated by dropping the handler before or after a
// batch's effects (before the commit), or by a Redis call failing; a new handler then re-reads from
// the committed offsets. The counters must end as if every accepted event counted exactly once.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { TOPICS, replay, type ContactEvent, type JourneySignal, type KpiEvent, type KpiSettings, type WebJourneyEvent } from '@cxg/engine';
import { createLogger, type BatchContext, type Consumed } from '@cxg/platform';
import { KpiHandler, KpiKeys, KpiReader, RedisKpiStore, createKpiMetrics, DEFAULT_KPI_TOPICS, type BatchEffects } from '../src/index.ts';
import { bucketsInRedis, deleteKeys, expectedBuckets, prng } from './support.ts';
import { partitionLog, redisNowMs } from '@cxg/platform/testing';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await deleteKeys(redis, p);
  redis.disconnect();
});

// The handler's clock is the store's: its duplicate markers expire on Redis's clock.
const NOW = await redisNowMs(redis);
const settings: KpiSettings = { serviceLevelSeconds: 20, switchOutcomes: ['ABANDONED', 'FAILED'] };
const log = createLogger('test', 'silent');
const PARTITIONS = 3;

function newPrefix(label: string): string {
  const p = `cx:kpi:test:${label}:${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}:`;
  prefixes.push(p);
  return p;
}

interface Rec {
  topic: string;
  partition: number;
  value: ContactEvent | WebJourneyEvent | JourneySignal;
}

/** Contacts, journeys and their signals, with re-sent duplicates, a duplicate_contact_id and bad records. */
function history(id: string, seed: number): { recs: Rec[]; expected: KpiEvent[]; stats: { rejected: number; duplicates: number } } {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const t0 = Date.UTC(2026, 10, 2, 8);
  const input: Rec[] = [];
  let n = 0;
  for (let c = 0; c < 15; c++) {
    const customer = `${id}-u${c}`;
    const partition = c % PARTITIONS;
    let t = t0 + Math.floor(rnd() * 3_600_000);
    for (let k = 0; k < 12; k++) {
      t += Math.floor(rnd() * 4 * 3_600_000);
      const fam = pick(['billing', 'tech']);
      if (rnd() < 0.3) {
        input.push({ topic: TOPICS.web, partition, value: {
          event_id: `${id}-w${n++}`, session_id: `${id}-s${n}`, customer_id: rnd() < 0.1 ? null : customer, journey: `${fam}.self_service`,
          started_at: t, ended_at: t + 120_000, outcome: pick(['COMPLETED', 'FAILED', 'ABANDONED'] as const), last_step: 'x', error_code: null,
        } });
      } else {
        const abandoned = rnd() < 0.15;
        const wait = Math.floor(rnd() * 40_000);
        input.push({ topic: TOPICS.contacts, partition, value: {
          event_id: `${id}-e${n++}`, contact_id: `${id}-c${n}`, customer_id: customer, provider_id: pick(['prov-a', 'prov-b', 'prov-c']),
          agent_id: null, channel: pick(['PHONE', 'PHONE', 'CHAT'] as const), queue: 'q', intent: `${fam}.question`,
          started_at: t, answered_at: abandoned ? null : t + wait, ended_at: t + wait + Math.floor(rnd() * 600_000),
          outcome: abandoned ? 'ABANDONED' : 'RESOLVED', csat: abandoned || rnd() < 0.5 ? null : 1 + Math.floor(rnd() * 5),
          sale_cents: rnd() < 0.1 ? 1999 : 0,
        } });
      }
    }
  }
  // faults, each on the partition of its customer
  const contacts = input.filter((r) => r.topic === TOPICS.contacts);
  for (let i = 0; i < 8; i++) input.push({ ...pick(contacts) }); // re-sent: same event_id
  const victim = contacts[3]!;
  input.push({ ...victim, value: { ...(victim.value as ContactEvent), event_id: `${id}-other` } }); // duplicate_contact_id
  input.push({ ...victim, value: { ...(victim.value as ContactEvent), event_id: `${id}-bad`, contact_id: `${id}-bad`, sale_cents: -1 } });

  const result = replay(input.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW });
  const partitionOf = new Map(input.map((r) => [(r.value as ContactEvent).customer_id, r.partition]));
  const signals: Rec[] = result.signals.map((s) => ({ topic: TOPICS.signals, partition: partitionOf.get(s.customer_id)!, value: s }));
  // the detector re-emits some signals after its own crashes
  for (let i = 0; i < 5 && signals.length > 0; i++) signals.push({ ...pick(signals) });
  const expected: KpiEvent[] = [
    ...result.accepted.map((e): KpiEvent => ('contact_id' in e ? { kind: 'contact', event: e } : { kind: 'journey', event: e as WebJourneyEvent })),
    ...result.signals.map((s): KpiEvent => ({ kind: 'signal', event: s })),
  ];
  return { recs: [...input, ...signals], expected, stats: { rejected: result.rejected.length, duplicates: result.duplicates + signals.length - result.signals.length } };
}

/** A store whose calls fail when `fail()` says so: a crash before (read) or instead of (apply) the effects. */
class FlakyStore extends RedisKpiStore {
  constructor(private readonly fail: () => boolean, keys: KpiKeys) {
    super(redis, { keys, dedupeTtlMs: 3 * 86_400_000 });
  }
  override async apply(e: BatchEffects): Promise<boolean> {
    if (this.fail()) throw new Error('simulated crash before the Lua call');
    return super.apply(e);
  }
}

function newHandler(keys: KpiKeys, fail: () => boolean = () => false) {
  const metrics = createKpiMetrics();
  const handler = new KpiHandler({ store: new FlakyStore(fail, keys), topics: DEFAULT_KPI_TOPICS, settings, allowedLatenessMs: 120_000, metrics, log, now: () => NOW });
  return { handler, metrics };
}

/**
 * Feeds the log round-robin in batches of 1..7 from the committed offsets. At batch `crashAt` it
 * crashes before the batch (`before`) or after its effects but before the commit (`after`).
 */
async function feed(handler: KpiHandler, log: Map<string, Consumed[]>, committed: Map<string, number>, crash: { at: number; mode: 'before' | 'after' }, rnd: () => number, rejected: string[]) {
  const pos = new Map([...log.keys()].map((k) => [k, committed.get(k) ?? 0]));
  let batches = 0;
  for (;;) {
    let progressed = false;
    for (const [k, records] of log) {
      const from = pos.get(k)!;
      if (from >= records.length) continue;
      progressed = true;
      const batch = records.slice(from, from + 1 + Math.floor(rnd() * 7));
      pos.set(k, from + batch.length);
      const crashHere = batches++ === crash.at;
      if (crashHere && crash.mode === 'before') return false;
      const ctx: BatchContext = {
        topic: batch[0]!.topic, partition: batch[0]!.partition, nextOffset: String(from + batch.length),
        reject: (r, reason) => rejected.push(`${r.topic}:${r.partition}:${r.offset}:${reason}`),
      };
      try {
        await handler.onBatch(batch, ctx);
      } catch {
        return false;
      }
      if (crashHere) return false;
      committed.set(k, from + batch.length);
    }
    if (!progressed) return true;
  }
}

describe('KPI worker batch logic on real Redis', () => {
  it('counts every accepted event once: duplicates, duplicate_contact_id and bad records have no effect', async () => {
    const keys = new KpiKeys(newPrefix('once'));
    const { recs, expected, stats } = history('h1', 5);
    expect(expected.some((e) => e.kind === 'signal' && e.event.kind === 'REPEAT_CONTACT')).toBe(true);
    expect(expected.some((e) => e.kind === 'signal' && e.event.kind === 'CHANNEL_SWITCH')).toBe(true);
    const { handler, metrics } = newHandler(keys);
    const rejected: string[] = [];
    expect(await feed(handler, partitionLog(recs), new Map(), { at: -1, mode: 'before' }, prng(1), rejected)).toBe(true);
    expect(await bucketsInRedis(redis, keys.prefix)).toEqual(expectedBuckets(expected, settings));
    expect(rejected.map((r) => r.split(':').at(-1)).sort()).toEqual(['duplicate_contact_id', 'negative_sale']);
    expect(rejected).toHaveLength(stats.rejected);
    const dup = (await metrics.events.get()).values.filter((v) => v.labels.result === 'duplicate').reduce((a, v) => a + v.value, 0);
    expect(dup).toBe(stats.duplicates);
  });

  it('crashes before and after effects at random batches, restarts from committed offsets, ends exactly once', async () => {
    for (const seed of [1, 2, 3]) {
      const keys = new KpiKeys(newPrefix(`crash${seed}`));
      const { recs, expected, stats } = history(`h2${seed}`, 50 + seed);
      const log = partitionLog(recs);
      const rnd = prng(seed);
      const committed = new Map<string, number>();
      let crashes = 0;
      const results = { accepted: 0, duplicate: 0 };
      for (let attempt = 0; attempt < 60; attempt++) {
        const crashing = attempt < 12;
        const crash = { at: crashing ? Math.floor(rnd() * 40) : -1, mode: rnd() < 0.5 ? ('before' as const) : ('after' as const) };
        const { handler, metrics } = newHandler(keys, () => crashing && rnd() < 0.03);
        const done = await feed(handler, log, committed, crash, rnd, []);
        for (const v of (await metrics.events.get()).values) if (v.labels.result === 'accepted' || v.labels.result === 'duplicate') results[v.labels.result] += v.value;
        if (done) break;
        crashes++;
      }
      expect(crashes).toBeGreaterThan(3);
      expect(await bucketsInRedis(redis, keys.prefix)).toEqual(expectedBuckets(expected, settings));
      // Re-read records at offsets <= applied are skipped, not re-judged as duplicates of themselves.
      expect(results).toEqual({ accepted: expected.length, duplicate: stats.duplicates });
    }
  });

  it('a second member applying the same batch meanwhile makes the first re-read and skip it', async () => {
    const keys = new KpiKeys(newPrefix('cas'));
    const { recs, expected } = history('h3', 9);
    const byPartition = partitionLog(recs);
    const zombie = newHandler(keys).handler;
    let interleave = true;
    // The store of `first` lets the zombie apply the same batch between its read and its Lua call.
    class Racing extends RedisKpiStore {
      override async apply(e: BatchEffects): Promise<boolean> {
        if (interleave) {
          interleave = false;
          const records = byPartition.get(`${e.topic}:${e.partition}`)!.slice(0, Number(e.applied) + 1);
          await zombie.onBatch(records, { topic: e.topic, partition: e.partition, nextOffset: String(Number(e.applied) + 1), reject: () => undefined });
        }
        return super.apply(e);
      }
    }
    const metrics = createKpiMetrics();
    const warnings: string[] = [];
    const first = new KpiHandler({
      store: new Racing(redis, { keys, dedupeTtlMs: 86_400_000 }), topics: DEFAULT_KPI_TOPICS, settings, allowedLatenessMs: 120_000, metrics,
      log: { ...log, warn: (_o: unknown, msg: string) => warnings.push(msg) } as unknown as typeof log, now: () => NOW,
    });
    expect(await feed(first, byPartition, new Map(), { at: -1, mode: 'before' }, () => 0.99, [])).toBe(true);
    expect(warnings).toEqual(['applied offset moved since it was read: re-reading the batch']);
    expect(await bucketsInRedis(redis, keys.prefix)).toEqual(expectedBuckets(expected, settings));
  });

  it('reads rolling windows over all partitions relative to the greatest event time applied', async () => {
    const keys = new KpiKeys(newPrefix('read'));
    const { recs, expected } = history('h4', 21);
    const { handler } = newHandler(keys);
    await feed(handler, partitionLog(recs), new Map(), { at: -1, mode: 'before' }, prng(4), []);
    const reader = new KpiReader(redis, keys);
    const got = (await reader.read(['1h', '24h', '7d']))!;
    const times = expected.map((e) => (e.kind === 'signal' ? e.event.contact_ended_at : e.event.ended_at));
    const wm = Math.max(...times);
    expect(got.watermarkMs).toBe(wm);
    const inWindow = (from: number) => expected.filter((_, i) => times[i]! >= from);
    const count = (events: KpiEvent[]) => events.filter((e) => e.kind === 'contact').length;
    // 7d covers the whole 2-day history; 24h starts at the top of the hour 23 h before the watermark's hour
    expect(got.windows.get('7d')!.providers.get('all')!.offered).toBe(count(expected));
    const h = Math.floor(wm / 3_600_000);
    expect(got.windows.get('24h')!.providers.get('all')!.offered).toBe(count(inWindow((h - 23) * 3_600_000)));
    const m = Math.floor(wm / 60_000);
    expect(got.windows.get('1h')!.providers.get('all')?.offered ?? 0).toBe(count(inWindow((m - 59) * 60_000)));
    expect(await new KpiReader(redis, new KpiKeys(newPrefix('empty'))).read(['1h'])).toBeNull();
  });
});
