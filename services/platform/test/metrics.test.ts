import { describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import { createLogger } from '../src/logger.ts';
import { createMetrics, recordAssignment, type PipelineMetrics } from '../src/metrics.ts';
import { ConsumerRunner } from '../src/runner.ts';
import type { Serde } from '../src/serde.ts';

/** The series of one metric as `label=value,...` strings (sorted, the default label `worker` left out) with their values. */
async function series(metrics: PipelineMetrics, name: string): Promise<string[]> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? [])
    .map((v) => {
      const labels = Object.entries(v.labels).filter(([k]) => k !== 'worker');
      return `${labels.map(([k, l]) => `${k}=${l}`).sort().join(',')} ${v.value}`;
    })
    .sort();
}

describe('recordAssignment', () => {
  it('names exactly the partitions the member owns, and drops the lag of those it gave up', async () => {
    const m = createMetrics('detector');
    recordAssignment(m, 'cx-detector-1', {}, { 'cx.contacts.v1': [0, 1], 'cx.web.v1': [0, 1] });
    m.consumerLag.set({ topic: 'cx.contacts.v1', partition: '0' }, 5);
    m.consumerLag.set({ topic: 'cx.contacts.v1', partition: '1' }, 7);
    m.consumerLag.set({ topic: 'cx.web.v1', partition: '1' }, 3);
    expect(await series(m, 'cx_consumer_assignment')).toEqual([
      'member=cx-detector-1,partition=0,topic=cx.contacts.v1 1',
      'member=cx-detector-1,partition=0,topic=cx.web.v1 1',
      'member=cx-detector-1,partition=1,topic=cx.contacts.v1 1',
      'member=cx-detector-1,partition=1,topic=cx.web.v1 1',
    ]);

    // a second member joined and took partition 1 of both topics
    recordAssignment(m, 'cx-detector-1', { 'cx.contacts.v1': [0, 1], 'cx.web.v1': [0, 1] }, { 'cx.contacts.v1': [0], 'cx.web.v1': [0] });
    expect(await series(m, 'cx_consumer_assignment')).toEqual([
      'member=cx-detector-1,partition=0,topic=cx.contacts.v1 1',
      'member=cx-detector-1,partition=0,topic=cx.web.v1 1',
    ]);
    expect(await series(m, 'cx_consumer_lag')).toEqual(['partition=0,topic=cx.contacts.v1 5']);
    // the registry's default label names the worker on every series
    expect((await m.registry.metrics()).match(/^cx_consumer_assignment\{.*\} 1$/gm)).toHaveLength(2);
    expect(await m.registry.metrics()).toContain('cx_consumer_assignment{topic="cx.contacts.v1",partition="0",member="cx-detector-1",worker="detector"} 1');
  });
});

/** A kafkajs stand-in whose consumer only records its listeners, so a test can emit group events. */
function fakeKafka() {
  const listeners = new Map<string, (e: unknown) => void>();
  const events = { GROUP_JOIN: 'group_join', CRASH: 'crash', HEARTBEAT: 'heartbeat', FETCH: 'fetch', COMMIT_OFFSETS: 'commit_offsets' };
  const consumer = {
    events,
    on: (event: string, fn: (e: unknown) => void) => void listeners.set(event, fn),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => undefined,
    stop: async () => undefined,
    disconnect: async () => undefined,
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const emit = (event: keyof typeof events, payload: unknown) => listeners.get(events[event])!({ payload });
  return { kafka, emit };
}

describe('ConsumerRunner', () => {
  it('reports the assignment of each group join under its member id, and none once stopped', async () => {
    const { kafka, emit } = fakeKafka();
    const metrics = createMetrics('kpi');
    const runner = new ConsumerRunner({
      kafka,
      groupId: 'g',
      topics: ['cx.contacts.v1'],
      serde: {} as Serde,
      producer: {} as Producer,
      metrics,
      log: createLogger('test', 'silent'),
      handler: { onBatch: async () => undefined },
    });
    await runner.start();
    emit('GROUP_JOIN', { memberId: 'cx-kpi-a', memberAssignment: { 'cx.contacts.v1': [0, 1, 2] } });
    metrics.consumerLag.set({ topic: 'cx.contacts.v1', partition: '2' }, 40);
    emit('GROUP_JOIN', { memberId: 'cx-kpi-a', memberAssignment: { 'cx.contacts.v1': [0, 1] } });
    expect(await series(metrics, 'cx_consumer_assignment')).toEqual([
      'member=cx-kpi-a,partition=0,topic=cx.contacts.v1 1',
      'member=cx-kpi-a,partition=1,topic=cx.contacts.v1 1',
    ]);
    expect(await series(metrics, 'cx_consumer_lag')).toEqual([]);
    await runner.stop();
    expect(await series(metrics, 'cx_consumer_assignment')).toEqual([]);
  });
});
