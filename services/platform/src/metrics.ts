import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The pipeline metrics every worker exports (README.md, "Operations"). */
export interface PipelineMetrics {
  registry: Registry;
  events: Counter<'topic' | 'result'>;
  dlq: Counter<'topic' | 'reason'>;
  lateEvents: Counter<'topic'>;
  /** Unlabelled: the registry's default label `worker` names the worker. */
  batchSeconds: Histogram;
  processingLagSeconds: Histogram;
  consumerLag: Gauge<'topic' | 'partition'>;
  /** 1 per topic-partition this process owns in its consumer group, `member` its group member id (recordAssignment). */
  assignment: Gauge<'topic' | 'partition' | 'member'>;
  /** 1 while the last probe of a dependency (kafka, redis, clickhouse) succeeded. */
  dependencyUp: Gauge<'dependency'>;
  /** Up → down transitions of each dependency. */
  outages: Counter<'dependency'>;
  /** Batches or ticks that failed and were recovered by re-reading from the committed offsets. */
  recoveries: Counter<'stage'>;
  /** State rebuilds after a store lost a partition's state (result: started, done). */
  rebuilds: Counter<'result'>;
}

export function createMetrics(worker: string): PipelineMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ worker });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    events: new Counter({
      name: 'cx_events_total',
      help: 'Input records by topic and result (accepted, duplicate, rejected)',
      labelNames: ['topic', 'result'],
      registers: [registry],
    }),
    dlq: new Counter({
      name: 'cx_dlq_total',
      help: 'Records sent to cx.dlq.v1 by source topic and reason',
      labelNames: ['topic', 'reason'],
      registers: [registry],
    }),
    lateEvents: new Counter({
      name: 'cx_late_events_total',
      help: 'Events that arrived behind the released watermark (processed, never dropped)',
      labelNames: ['topic'],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'cx_batch_duration_seconds',
      help: 'Wall time to process one fetched batch, effects and commit included',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    processingLagSeconds: new Histogram({
      name: 'cx_processing_lag_seconds',
      help: 'Wall clock at processing minus the event time of the record',
      buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 86400],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'cx_consumer_lag',
      help: 'Records between the committed offset and the log end, per partition',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    assignment: new Gauge({
      name: 'cx_consumer_assignment',
      help: '1 per topic-partition this member owns in its consumer group (member: the group member id); replaced at each rebalance',
      labelNames: ['topic', 'partition', 'member'],
      registers: [registry],
    }),
    dependencyUp: new Gauge({
      name: 'cx_dependency_up',
      help: '1 while the last probe of the dependency answered in time, else 0',
      labelNames: ['dependency'],
      registers: [registry],
    }),
    outages: new Counter({
      name: 'cx_outages_total',
      help: 'Times a dependency went from answering to not answering',
      labelNames: ['dependency'],
      registers: [registry],
    }),
    recoveries: new Counter({
      name: 'cx_recoveries_total',
      help: 'Failed batches or ticks, retried with backoff from the committed offsets (stage: batch, tick)',
      labelNames: ['stage'],
      registers: [registry],
    }),
    rebuilds: new Counter({
      name: 'cx_state_rebuilds_total',
      help: 'Partitions whose store state was found lost and rebuilt from the input topics (result: started, done)',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}

/**
 * After a rebalance (`next`, this process's new assignment as group member `member`):
 * cx_consumer_assignment names exactly the partitions it owns now, and the partitions it gave up
 * leave cx_consumer_lag (their new owner reports them), so no partition shows two owners or a
 * stale lag. A partition just assigned has no lag series until its first batch.
 */
export function recordAssignment(
  metrics: Pick<PipelineMetrics, 'assignment' | 'consumerLag'>,
  member: string,
  previous: Record<string, number[]>,
  next: Record<string, number[]>,
): void {
  metrics.assignment.reset();
  for (const [topic, partitions] of Object.entries(next)) {
    for (const p of partitions) metrics.assignment.set({ topic, partition: String(p), member }, 1);
  }
  for (const [topic, partitions] of Object.entries(previous)) {
    for (const p of partitions) if (!next[topic]?.includes(p)) metrics.consumerLag.remove({ topic, partition: String(p) });
  }
}
