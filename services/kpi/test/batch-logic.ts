// The KPI worker's batch logic as one suite, run with the same assertions against the real Redis
// store (handler.test.ts) and against an in-memory KpiStore (handler-memory.test.ts). Batches are
// Kafka-shaped and in memory. A crash is simulated by dropping the handler before or after a batch's
// effects (before the commit), or by a store call failing; a new handler then re-reads from the
// committed offsets. The counters must end as if every accepted event counted exactly once.
import { describe, expect, it } from 'vitest';
import { TOPICS, replay, type ContactEvent, type JourneySignal, type KpiEvent, type KpiSettings, type WebJourneyEvent } from '@cxg/engine';
import { createLogger, type BatchContext, type Consumed } from '@cxg/platform';
import { partitionLog } from '@cxg/platform/testing';
import { KpiHandler, createKpiMetrics, DEFAULT_KPI_TOPICS, type BatchEffects, type KpiStore } from '../src/index.ts';
import { expectedBuckets, prng, type BucketDump } from './support.ts';

export const settings: KpiSettings = { serviceLevelSeconds: 20, switchOutcomes: ['ABANDONED', 'FAILED'] };
export const log = createLogger('test', 'silent');
const PARTITIONS = 3;

/** Where one test's state lives: the stores made for it share that state, as restarted workers share Redis. */
export interface Scope {
  store(dedupeTtlMs: number): KpiStore;
  /** The counters, summed over partitions as `bucketsInRedis` dumps them. */
  buckets(): Promise<BucketDump>;
}

interface Rec {
  topic: string;
  partition: number;
  value: ContactEvent | WebJourneyEvent | JourneySignal;
}

/** The history and the handlers of a suite whose clock is `NOW`. */
export function kpiHarness(NOW: number) {
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

  function newHandler(scope: Scope, fail: () => boolean = () => false) {
    const metrics = createKpiMetrics();
    const handler = new KpiHandler({ store: flaky(scope.store(3 * 86_400_000), fail), topics: DEFAULT_KPI_TOPICS, settings, allowedLatenessMs: 120_000, metrics, log, now: () => NOW });
    return { handler, metrics };
  }

  return { history, newHandler };
}

/** A store whose calls fail when `fail()` says so: a crash before (read) or instead of (apply) the effects. */
function flaky(store: KpiStore, fail: () => boolean): KpiStore {
  return {
    read: (...args) => store.read(...args),
    async apply(e: BatchEffects): Promise<boolean> {
      if (fail()) throw new Error('simulated crash before the Lua call');
      return store.apply(e);
    },
  };
}

export /**
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

/** The suite; `fresh(label)` gives each test a state of its own. */
export function describeBatchLogic(name: string, fresh: (label: string) => Scope, NOW: number): void {
  const { history, newHandler } = kpiHarness(NOW);
  describe(name, () => {
    it('counts every accepted event once: duplicates, duplicate_contact_id and bad records have no effect', async () => {
      const scope = fresh('once');
      const { recs, expected, stats } = history('h1', 5);
      expect(expected.some((e) => e.kind === 'signal' && e.event.kind === 'REPEAT_CONTACT')).toBe(true);
      expect(expected.some((e) => e.kind === 'signal' && e.event.kind === 'CHANNEL_SWITCH')).toBe(true);
      const { handler, metrics } = newHandler(scope);
      const rejected: string[] = [];
      expect(await feed(handler, partitionLog(recs), new Map(), { at: -1, mode: 'before' }, prng(1), rejected)).toBe(true);
      expect(await scope.buckets()).toEqual(expectedBuckets(expected, settings));
      expect(rejected.map((r) => r.split(':').at(-1)).sort()).toEqual(['duplicate_contact_id', 'negative_sale']);
      expect(rejected).toHaveLength(stats.rejected);
      const dup = (await metrics.events.get()).values.filter((v) => v.labels.result === 'duplicate').reduce((a, v) => a + v.value, 0);
      expect(dup).toBe(stats.duplicates);
    });

    it('crashes before and after effects at random batches, restarts from committed offsets, ends exactly once', async () => {
      for (const seed of [1, 2, 3]) {
        const scope = fresh(`crash${seed}`);
        const { recs, expected, stats } = history(`h2${seed}`, 50 + seed);
        const log = partitionLog(recs);
        const rnd = prng(seed);
        const committed = new Map<string, number>();
        let crashes = 0;
        const results = { accepted: 0, duplicate: 0 };
        for (let attempt = 0; attempt < 60; attempt++) {
          const crashing = attempt < 12;
          const crash = { at: crashing ? Math.floor(rnd() * 40) : -1, mode: rnd() < 0.5 ? ('before' as const) : ('after' as const) };
          const { handler, metrics } = newHandler(scope, () => crashing && rnd() < 0.03);
          const done = await feed(handler, log, committed, crash, rnd, []);
          for (const v of (await metrics.events.get()).values) if (v.labels.result === 'accepted' || v.labels.result === 'duplicate') results[v.labels.result] += v.value;
          if (done) break;
          crashes++;
        }
        expect(crashes).toBeGreaterThan(3);
        expect(await scope.buckets()).toEqual(expectedBuckets(expected, settings));
        // Re-read records at offsets <= applied are skipped, not re-judged as duplicates of themselves.
        expect(results).toEqual({ accepted: expected.length, duplicate: stats.duplicates });
      }
    });

    it('a second member applying the same batch meanwhile makes the first re-read and skip it', async () => {
      const scope = fresh('cas');
      const { recs, expected } = history('h3', 9);
      const byPartition = partitionLog(recs);
      const zombie = newHandler(scope).handler;
      let interleave = true;
      // The store of `first` lets the zombie apply the same batch between its read and its Lua call.
      const inner = scope.store(86_400_000);
      const racing: KpiStore = {
        read: (...args) => inner.read(...args),
        async apply(e: BatchEffects): Promise<boolean> {
          if (interleave) {
            interleave = false;
            const records = byPartition.get(`${e.topic}:${e.partition}`)!.slice(0, Number(e.applied) + 1);
            await zombie.onBatch(records, { topic: e.topic, partition: e.partition, nextOffset: String(Number(e.applied) + 1), reject: () => undefined });
          }
          return inner.apply(e);
        },
      };
      const metrics = createKpiMetrics();
      const warnings: string[] = [];
      const first = new KpiHandler({
        store: racing, topics: DEFAULT_KPI_TOPICS, settings, allowedLatenessMs: 120_000, metrics,
        log: { ...log, warn: (_o: unknown, msg: string) => warnings.push(msg) } as unknown as typeof log, now: () => NOW,
      });
      expect(await feed(first, byPartition, new Map(), { at: -1, mode: 'before' }, () => 0.99, [])).toBe(true);
      expect(warnings).toEqual(['applied offset moved since it was read: re-reading the batch']);
      expect(await scope.buckets()).toEqual(expectedBuckets(expected, settings));
    });
  });
}
