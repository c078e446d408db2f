// The detector's batch logic as one suite, run with the same assertions against the real Redis
// store (detector.test.ts) and against an in-memory DetectorStore (detector-memory.test.ts). Batches
// are Kafka-shaped and in memory: crashes are simulated by throwing away the handler at random
// points and re-reading from the offsets it last let the runner commit.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DETECTION,
  TOPICS,
  replay,
  type ContactEvent,
  type InputTopic,
  type JourneySignal,
  type WebJourneyEvent,
} from '@cxg/engine';
import { type BatchContext, type Consumed, type TopicPartitionOffset } from '@cxg/platform';
import { partitionLog } from '@cxg/platform/testing';
import { DETECTOR_TOPICS, DetectorHandler, createDetectorMetrics, type DetectorStore } from '../src/index.ts';

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

interface Rec {
  topic: InputTopic;
  partition: number;
  value: ContactEvent | WebJourneyEvent;
}

/** A small history with repeats, switches, abandons and ties, arriving at most L/2 out of order. */
function history(prefix: string, seed: number): Rec[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const t0 = Date.UTC(2026, 10, 2, 8);
  const out: Rec[] = [];
  let n = 0;
  for (let c = 0; c < 12; c++) {
    const customer = `${prefix}-u${c}`;
    const partition = c % 2;
    let t = t0 + Math.floor(rnd() * 3_600_000);
    for (let k = 0; k < 10; k++) {
      t += Math.floor(rnd() * 6 * 3_600_000);
      const family = pick(['billing', 'tech']);
      if (rnd() < 0.3) {
        out.push({ topic: TOPICS.web, partition, value: {
          event_id: `${prefix}-w${n++}`, session_id: `${prefix}-s${n}`, customer_id: rnd() < 0.1 ? null : customer,
          journey: `${family}.self_service`, started_at: t, ended_at: t + 120_000, outcome: pick(['COMPLETED', 'FAILED', 'ABANDONED'] as const),
          last_step: 'x', error_code: null,
        } });
      } else {
        const abandoned = rnd() < 0.15;
        const dur = Math.floor(rnd() * 600_000);
        out.push({ topic: TOPICS.contacts, partition, value: {
          event_id: `${prefix}-e${n++}`, contact_id: `${prefix}-c${n}`, customer_id: customer, provider_id: pick(['prov-a', 'prov-b']),
          agent_id: null, channel: pick(['PHONE', 'PHONE', 'CHAT'] as const), queue: 'q', intent: `${family}.question`,
          started_at: t, answered_at: abandoned ? null : t + 5000, ended_at: t + 5000 + dur,
          outcome: abandoned ? 'ABANDONED' : 'RESOLVED', csat: null, sale_cents: 0,
        } });
      }
    }
  }
  const jitter = DEFAULT_DETECTION.allowedLatenessMs / 2;
  return out
    .map((r) => ({ r, arrival: r.value.ended_at + Math.floor(rnd() * jitter) }))
    .sort((a, b) => a.arrival - b.arrival)
    .map(({ r }) => r);
}

const byId = (signals: JourneySignal[]) => {
  const map = new Map<string, JourneySignal>();
  for (const s of signals) {
    const prev = map.get(s.signal_id);
    if (prev) expect(s).toEqual(prev); // a re-emitted signal is identical, never a different prior
    map.set(s.signal_id, s);
  }
  return map;
};

/**
 * The suite. `newStore` gives the store of each new handler (a restarted worker), which must see
 * what earlier ones wrote; `NOW` is the handlers' clock, and the history lies in its past.
 */
export function describeBatchLogic(name: string, newStore: () => DetectorStore, NOW: number): void {
  /** Offsets per topic-partition, as Kafka would assign them. */
  const newHandler = (emitted: JourneySignal[], failEmit: () => boolean) =>
    new DetectorHandler({
      store: newStore(),
      emit: async (signals) => {
        if (failEmit()) throw new Error('simulated crash before emit');
        emitted.push(...signals);
      },
      metrics: createDetectorMetrics(),
      settings: DEFAULT_DETECTION,
      maxTimelineEntries: 1000,
      now: () => NOW,
    });

  /**
   * Feeds the log round-robin over partitions in batches of up to 5, from `committed` offsets;
   * `crashAt` aborts after that many batches. Returns false when it crashed.
   */
  async function feed(handler: DetectorHandler, log: Map<string, Consumed[]>, committed: Map<string, number>, crashAt: number): Promise<boolean> {
    const pos = new Map([...log.keys()].map((k) => [k, committed.get(k) ?? 0]));
    let batches = 0;
    const commit = (offsets: TopicPartitionOffset[]) => {
      for (const o of offsets) committed.set(`${o.topic}:${o.partition}`, Number(o.offset));
    };
    for (;;) {
      let progressed = false;
      for (const [k, records] of log) {
        const from = pos.get(k)!;
        if (from >= records.length) continue;
        progressed = true;
        const batch = records.slice(from, from + 5);
        pos.set(k, from + batch.length);
        if (batches++ === crashAt) return false;
        const ctx: BatchContext = {
          topic: batch[0]!.topic, partition: batch[0]!.partition, nextOffset: String(from + batch.length),
          reject: () => undefined,
        };
        try {
          commit((await handler.onBatch(batch, ctx)) ?? []);
        } catch {
          return false;
        }
      }
      if (!progressed) break;
    }
    try {
      // The log is drained: the runner would now report every topic-partition idle.
      commit(await handler.onTick(NOW, [0, 1].flatMap((partition) => DETECTOR_TOPICS.map((topic) => ({ topic, partition })))));
    } catch {
      return false;
    }
    return true;
  }

  describe(name, () => {
    it('emits exactly the signals of sorted replay for a stream arriving within L', async () => {
      const prefix = `t${Date.now().toString(36)}a`;
      const recs = history(prefix, 7);
      const expected = replay(recs.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW }).signals;
      expect(expected.some((s) => s.kind === 'REPEAT_CONTACT')).toBe(true);
      expect(expected.some((s) => s.kind === 'CHANNEL_SWITCH')).toBe(true);
      const emitted: JourneySignal[] = [];
      expect(await feed(newHandler(emitted, () => false), partitionLog(recs), new Map(), -1)).toBe(true);
      expect([...byId(emitted).values()].sort((a, b) => a.signal_id.localeCompare(b.signal_id))).toEqual(
        [...expected].sort((a, b) => a.signal_id.localeCompare(b.signal_id)),
      );
    });

    it('crashes at random batches and before emitting, restarts from committed offsets, and ends with the same signals', async () => {
      for (const seed of [1, 2, 3]) {
        const prefix = `t${Date.now().toString(36)}k${seed}`;
        const recs = history(prefix, 100 + seed);
        const log = partitionLog(recs);
        const expected = replay(recs.map((r, i) => ({ line: i + 1, topic: r.topic, value: r.value })), { nowMs: NOW }).signals;
        const rnd = prng(seed);
        const committed = new Map<string, number>();
        const emitted: JourneySignal[] = [];
        let crashes = 0;
        for (let attempt = 0; attempt < 50; attempt++) {
          const crashAt = attempt < 6 ? Math.floor(rnd() * 30) : -1;
          const failEmit = () => attempt < 6 && rnd() < 0.05;
          if (await feed(newHandler(emitted, failEmit), log, committed, crashAt)) break;
          crashes++;
        }
        expect(crashes).toBeGreaterThan(0);
        expect(byId(emitted)).toEqual(new Map(expected.map((s) => [s.signal_id, s])));
      }
    });

    it('counts a record re-sent with the same event_id at another offset as a duplicate, without a second signal', async () => {
      const prefix = `t${Date.now().toString(36)}d`;
      const recs = history(prefix, 11);
      const dup = recs.find((r) => r.topic === TOPICS.contacts && (r.value as ContactEvent).answered_at !== null)!;
      const emitted: JourneySignal[] = [];
      const handler = newHandler(emitted, () => false);
      const metrics = (handler as unknown as { deps: { metrics: ReturnType<typeof createDetectorMetrics> } }).deps.metrics;
      expect(await feed(handler, partitionLog([...recs, dup]), new Map(), -1)).toBe(true);
      expect((await metrics.events.get()).values.find((v) => v.labels.result === 'duplicate')?.value).toBe(1);
      expect(byId(emitted).size).toBe(emitted.length);
    });
  });
}
