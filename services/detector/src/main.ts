import { DEFAULT_MAX_TIMELINE_ENTRIES, MAX_SPAN_MS, TOPICS, detectionSettingsOf, type JourneySignal } from '@cxg/engine';
import { pingRedis, produceRecords, redisEpochStore, startWorker, type Endpoints, type RunningWorker } from '@cxg/platform';
import { DETECTOR_TOPICS, DetectorHandler } from './detector.ts';
import { DetectorKeys } from './keys.ts';
import { createDetectorMetrics } from './metrics.ts';
import { RedisDetectorStore } from './store.ts';

export type { RunningWorker };

export interface DetectorOptions {
  endpoints?: Endpoints;
  /** Consumer group; env CX_DETECTOR_GROUP, default `cx-detector`. */
  groupId?: string;
  /** env METRICS_PORT, default 9401; 0 picks a free port. */
  metricsPort?: number;
  /**
   * Wall-clock time beyond L that a partition must have been at its log end before the reorder
   * buffer stops waiting for it; env CX_IDLE_GRACE_MS, default the engine's DEFAULT_IDLE_GRACE_MS.
   */
  idleGraceMs?: number;
  /** Safety bound on one customer's timeline entries. */
  maxTimelineEntries?: number;
  /** How long event ids are remembered for duplicate detection; env CX_DEDUPE_TTL_MS, default 30 d. */
  dedupeTtlMs?: number;
  /** Prefix of every Redis key; env CX_DETECTOR_KEY_PREFIX, default `cx:`. */
  keyPrefix?: string;
}

/** Wires the detector: contacts + web journeys → JourneySignals (docs/detection.md). */
export function startDetector(opts: DetectorOptions = {}): Promise<RunningWorker> {
  return startWorker({
    name: 'detector',
    endpoints: opts.endpoints,
    groupId: opts.groupId,
    metricsPort: opts.metricsPort,
    build: async ({ settings: all, config, serde, producer, redis }) => {
      const settings = detectionSettingsOf(config.detection);
      const metrics = createDetectorMetrics();
      await serde.register(TOPICS.signals);
      const connection = redis();
      const longestWindow = Math.max(settings.repeatWindowMs, settings.switchWindowMs);
      const keys = new DetectorKeys(opts.keyPrefix ?? all.detector.keyPrefix);
      const timelineTtlMs = longestWindow + settings.allowedLatenessMs + MAX_SPAN_MS;
      const store = new RedisDetectorStore(connection, { keys, stateTtlMs: Math.max(opts.dedupeTtlMs ?? all.dedupeTtlMs, timelineTtlMs) });
      const handler = new DetectorHandler({
        store,
        emit: (signals: readonly JourneySignal[]) =>
          produceRecords(producer, serde, signals.map((s) => ({ topic: TOPICS.signals, key: s.customer_id, value: s }))),
        metrics,
        settings,
        maxTimelineEntries: opts.maxTimelineEntries ?? DEFAULT_MAX_TIMELINE_ENTRIES,
        now: Date.now,
      });
      const idleGraceMs = opts.idleGraceMs ?? all.detector.idleGraceMs;
      return {
        topics: DETECTOR_TOPICS,
        handler,
        metrics,
        // Quiet for L + grace: an event that happens after that arrives later than L behind anything seen.
        runner: {
          idleAfterMs: settings.allowedLatenessMs + idleGraceMs,
          // A timeline holds at most this much history, so re-reading it rebuilds every timeline.
          state: { epochs: redisEpochStore(connection, (p) => keys.epoch(p)), rebuildSpanMs: timelineTtlMs, clear: (ps) => store.clearPartitions(ps) },
        },
        health: { redis: () => pingRedis(connection) },
        log: { message: 'detector started', fields: () => ({ settings }) },
      };
    },
  });
}
