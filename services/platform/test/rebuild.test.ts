import { describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { createLogger, createMetrics, epochMetadata, parseEpochMetadata, judgeEpoch, rebuildingMarker, StateKeeper, type EpochStore } from '../src/index.ts';

describe('judgeEpoch', () => {
  it('tells intact, fresh and lost state apart', () => {
    expect(judgeEpoch('e1', 'e1')).toBe('intact');
    expect(judgeEpoch('e2', 'e1')).toBe('intact'); // a rebuild finished before its first commit
    expect(judgeEpoch(null, null)).toBe('fresh');
    expect(judgeEpoch(null, 'e1')).toBe('lost');
    expect(judgeEpoch(rebuildingMarker('e2'), 'e1')).toBe('lost'); // someone's rebuild never finished
    expect(judgeEpoch(rebuildingMarker('e2'), 'e1', rebuildingMarker('e2'))).toBe('intact'); // our own
  });

  it('reads back the epoch it writes into commit metadata, and nothing from foreign metadata', () => {
    expect(parseEpochMetadata(epochMetadata('abc'))?.epoch).toBe('abc');
    expect(parseEpochMetadata(null)).toBeNull();
    expect(parseEpochMetadata('something else')).toBeNull();
  });
});

/** A group with committed offsets (and their metadata) on one topic of two partitions, and a store. */
function setup(committed: Record<number, { offset: string; metadata: string | null }>, stored: Record<number, string>, topics = ['t']) {
  const store = new Map(Object.entries(stored).map(([p, e]) => [Number(p), e]));
  const epochs: EpochStore = { get: async (p) => store.get(p) ?? null, set: async (p, e) => void store.set(p, e) };
  const admin = {
    fetchOffsets: async () => topics.map((topic) => ({ topic, partitions: Object.entries(committed).map(([p, c]) => ({ partition: Number(p), ...c })) })),
    // records of the last span start at offset 100 on every partition; the logs end at 1000
    fetchTopicOffsetsByTimestamp: async () => [0, 1].map((partition) => ({ partition, offset: '100' })),
    fetchTopicOffsets: async () => [0, 1].map((partition) => ({ partition, offset: '1000', high: '1000', low: '0' })),
  } as unknown as Admin;
  const metrics = createMetrics('test');
  const cleared: number[][] = [];
  const keeper = new StateKeeper({ epochs, rebuildSpanMs: 1000, clear: async (ps) => (cleared.push([...ps]), 0), admin, groupId: 'g', topics, log: createLogger('test', 'silent'), metrics });
  return { keeper, store, metrics, cleared };
}

describe('StateKeeper', () => {
  it('gives a partition that never had state an epoch and commits under it', async () => {
    const { keeper, store } = setup({ 0: { offset: '-1', metadata: null } }, {});
    const { commit, lost } = await keeper.admit([{ topic: 't', partition: 0, offset: '5' }]);
    expect(lost).toEqual([]);
    // the state's history starts where the group started: at the log start here
    expect(commit).toEqual([{ topic: 't', partition: 0, offset: '5', metadata: epochMetadata(store.get(0)!, 0n) }]);
  });

  it('finds lost state, rebuilds from the offset by time and commits again only past the old commit, under a new epoch', async () => {
    const { keeper, store, metrics, cleared } = setup({ 0: { offset: '500', metadata: epochMetadata('old') }, 1: { offset: '700', metadata: epochMetadata('e1') } }, { 1: 'e1' });
    const first = await keeper.admit([{ topic: 't', partition: 0, offset: '520' }, { topic: 't', partition: 1, offset: '710' }]);
    expect(first.lost).toEqual([0]);
    expect(first.commit.map((c) => c.partition)).toEqual([1]);

    expect(await keeper.start([0])).toEqual([{ topic: 't', partition: 0, offset: '100' }]);
    expect(cleared).toEqual([[0]]); // what was written since the loss goes before the rebuild
    expect(keeper.replayUntil(0)).toEqual(new Map([['t', 500n]]));
    expect(store.get(0)).toMatch(/^rebuilding:/);
    expect(keeper.status()).toContain('partition 0');

    // below the old commit: nothing commits, still rebuilding
    expect((await keeper.admit([{ topic: 't', partition: 0, offset: '300' }])).commit).toEqual([]);
    expect((await keeper.admit([{ topic: 't', partition: 0, offset: '500' }])).commit).toHaveLength(1);
    expect(keeper.status()).toBeNull();
    const epoch = store.get(0)!;
    expect(epoch).not.toMatch(/^rebuilding:/);
    expect(epoch).not.toBe('old');
    expect((await keeper.admit([{ topic: 't', partition: 0, offset: '600' }])).commit).toEqual([{ topic: 't', partition: 0, offset: '600', metadata: epochMetadata(epoch) }]);
    expect((await metrics.rebuilds.get()).values.map((v) => [v.labels.result, v.value])).toEqual([
      ['started', 1],
      ['done', 1],
    ]);
  });

  it('never re-reads from before the first record the state was built from', async () => {
    const { keeper } = setup({ 0: { offset: '500', metadata: epochMetadata('old', 300n) } }, {});
    expect((await keeper.admit([{ topic: 't', partition: 0, offset: '510' }])).lost).toEqual([0]);
    // by time it would be 100, but the group started at 300 (placed at the log end, say)
    expect(await keeper.start([0])).toEqual([{ topic: 't', partition: 0, offset: '300' }]);
    const done = await keeper.admit([{ topic: 't', partition: 0, offset: '500' }]);
    expect(done.commit[0]!.metadata).toMatch(/;from=300$/);
  });

  it('reads the metadata it writes', () => {
    expect(parseEpochMetadata(epochMetadata('e', 42n))).toEqual({ epoch: 'e', from: 42n });
    expect(parseEpochMetadata(epochMetadata('e'))).toEqual({ epoch: 'e', from: null });
  });

  it('starts over when the store loses the state again during the rebuild', async () => {
    const { keeper, store } = setup({ 0: { offset: '500', metadata: epochMetadata('old') } }, {});
    expect((await keeper.admit([{ topic: 't', partition: 0, offset: '510' }])).lost).toEqual([0]);
    await keeper.start([0]);
    store.delete(0);
    expect((await keeper.admit([{ topic: 't', partition: 0, offset: '200' }])).lost).toEqual([0]);
  });

  it('finishes only when every topic passed its old commit since the last rewind', async () => {
    const { keeper } = setup({ 0: { offset: '500', metadata: epochMetadata('old') } }, {}, ['a', 'b']);
    await keeper.admit([{ topic: 'a', partition: 0, offset: '510' }]);
    await keeper.start([0]);
    expect((await keeper.admit([{ topic: 'a', partition: 0, offset: '500' }])).commit).toEqual([]);
    keeper.rewound(); // a failed batch: topic a is re-read from the rebuild's start
    expect((await keeper.admit([{ topic: 'b', partition: 0, offset: '501' }])).commit).toEqual([]);
    expect(keeper.status()).not.toBeNull();
    const done = await keeper.admit([{ topic: 'a', partition: 0, offset: '505' }, { topic: 'b', partition: 0, offset: '501' }]);
    expect(done.commit.map((c) => c.topic)).toEqual(['a', 'b']);
    expect(keeper.status()).toBeNull();
  });
});
