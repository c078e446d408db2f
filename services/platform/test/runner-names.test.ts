import { describe, expect, it } from 'vitest';
import type { EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { ConsumerRunner, type BatchContext, type Consumed } from '../src/runner.ts';
import { UndecodableError, type Serde } from '../src/serde.ts';
import { topicNames } from '../src/topic-names.ts';

/** A kafkajs stand-in that records what the runner subscribes to and commits, and hands it batches. */
function fakeKafka() {
  const seen = { subscribed: [] as string[], commits: [] as Array<{ topic: string; partition: number; offset: string }>, eachBatch: null as null | ((p: EachBatchPayload) => Promise<void>) };
  const events = { GROUP_JOIN: 'group_join', CRASH: 'crash', HEARTBEAT: 'heartbeat', FETCH: 'fetch', COMMIT_OFFSETS: 'commit_offsets' };
  const listeners = new Map<string, (e: unknown) => void>();
  const consumer = {
    events,
    on: (event: string, fn: (e: unknown) => void) => void listeners.set(event, fn),
    connect: async () => undefined,
    subscribe: async (s: { topics: string[] }) => void seen.subscribed.push(...s.topics),
    run: async (r: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => void (seen.eachBatch = r.eachBatch),
    commitOffsets: async (o: Array<{ topic: string; partition: number; offset: string }>) => void seen.commits.push(...o),
    stop: async () => undefined,
    disconnect: async () => undefined,
  };
  const join = (assignment: Record<string, number[]>) => listeners.get('group_join')!({ payload: { memberId: 'm', memberAssignment: assignment } });
  return { kafka: { consumer: () => consumer } as unknown as Kafka, seen, join };
}

describe('ConsumerRunner with topic names', () => {
  it('subscribes, commits and dead-letters by Kafka topic; the handler, decode and metrics see the logical topic', async () => {
    const { kafka, seen, join } = fakeKafka();
    const names = topicNames({ dlq: 'stage-dead-letters' }, 'stage.');
    const decoded: string[] = [];
    const serde = {
      names,
      decode: async (topic: string, buf: Buffer | null) => {
        decoded.push(topic);
        if (buf?.toString() === 'bad') throw new UndecodableError('bad bytes');
        return { v: buf?.toString() };
      },
    } as unknown as Serde;
    const dlq: Array<{ topic: string; sources: string[] }> = [];
    const producer = { send: async (s: { topic: string; messages: Array<{ headers: Record<string, string> }> }) => void dlq.push({ topic: s.topic, sources: s.messages.map((m) => m.headers['cx-source-topic']!) }) } as unknown as Producer;
    const handled: Array<{ ctx: string; records: string[] }> = [];
    const assigned: Array<Record<string, number[]>> = [];
    const metrics = createMetrics('detector');
    const runner = new ConsumerRunner({
      kafka,
      groupId: 'g',
      topics: ['cx.contacts.v1', 'cx.web.v1'],
      serde,
      producer,
      metrics,
      log: createLogger('test', 'silent'),
      handler: {
        onBatch: async (records: Consumed[], ctx: BatchContext) => {
          handled.push({ ctx: ctx.topic, records: records.map((r) => r.topic) });
          return [{ topic: ctx.topic, partition: ctx.partition, offset: '1' }];
        },
        onAssign: (a) => void assigned.push(a),
      },
    });
    await runner.start();
    expect(seen.subscribed).toEqual(['stage.contacts.v1', 'stage.web.v1']);
    join({ 'stage.contacts.v1': [0], 'stage.web.v1': [0] });
    expect(assigned).toEqual([{ 'cx.contacts.v1': [0], 'cx.web.v1': [0] }]);
    const message = (offset: string, value: string) => ({ offset, key: Buffer.from('k'), value: Buffer.from(value), timestamp: '0', attributes: 0, headers: {} });
    await seen.eachBatch!({
      batch: { topic: 'stage.contacts.v1', partition: 0, messages: [message('0', 'good'), message('1', 'bad')], offsetLag: () => '0' },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
    expect(decoded).toEqual(['cx.contacts.v1', 'cx.contacts.v1']);
    expect(handled).toEqual([{ ctx: 'cx.contacts.v1', records: ['cx.contacts.v1'] }]);
    expect(seen.commits).toEqual([{ topic: 'stage.contacts.v1', partition: 0, offset: '1' }]);
    expect(dlq).toEqual([{ topic: 'stage-dead-letters', sources: ['stage.contacts.v1'] }]);
    expect(await metrics.registry.getSingleMetricAsString('cx_events_total')).toContain('topic="cx.contacts.v1",result="rejected"');
    await runner.stop();
  });
});
