import { describe, expect, it } from 'vitest';
import { DrainWatch, kafkaDrainSource, type DrainSource } from '../src/drain.ts';

/** A log whose ends the test moves by hand, and a group's committed offsets. */
function fakeSource(ends: Map<string, bigint>, starts: Map<string, bigint>): DrainSource & { calls: number } {
  const src = {
    calls: 0,
    logEnds: async () => {
      src.calls++;
      return new Map(ends);
    },
    startPositions: async () => new Map(starts),
  };
  return src;
}

describe('DrainWatch', () => {
  it('reports a partition idle only after its position has been at the log end for the whole grace', async () => {
    const ends = new Map([['t:0', 10n], ['t:1', 5n]]);
    const watch = new DrainWatch(fakeSource(ends, new Map([['t:0', 0n], ['t:1', 5n]])), 1000);
    watch.assign({ t: [0, 1] });
    expect(await watch.idle(0)).toEqual([]); // t:1 at its end since 0, t:0 behind
    expect(await watch.idle(999)).toEqual([]);
    expect(await watch.idle(1000)).toEqual([{ topic: 't', partition: 1 }]);
    watch.handled('t', 0, '10');
    expect(await watch.idle(1500)).toEqual([{ topic: 't', partition: 1 }]);
    expect(await watch.idle(2500)).toEqual([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
  });

  it('a stalled process is not a quiet partition: records that arrived meanwhile reset the clock', async () => {
    const ends = new Map([['t:0', 3n]]);
    const watch = new DrainWatch(fakeSource(ends, new Map()), 1000);
    watch.assign({ t: [0] });
    watch.handled('t', 0, '3');
    expect(await watch.idle(0)).toEqual([]);
    // 20 s pass in one stalled batch; three records arrived at the broker in the meantime
    ends.set('t:0', 6n);
    expect(await watch.idle(20_000)).toEqual([]);
    watch.handled('t', 0, '6');
    expect(await watch.idle(20_500)).toEqual([]);
    expect(await watch.idle(21_500)).toEqual([{ topic: 't', partition: 0 }]);
    // and a batch handled makes it active again
    watch.handled('t', 0, '6');
    expect(await watch.idle(21_600)).toEqual([]);
  });

  it('knows nothing before an assignment, and forgets positions at a new one', async () => {
    const ends = new Map([['t:0', 4n]]);
    const starts = new Map([['t:0', 4n]]);
    const src = fakeSource(ends, starts);
    const watch = new DrainWatch(src, 0);
    expect(await watch.idle(0)).toEqual([]);
    expect(src.calls).toBe(0);
    watch.assign({ t: [0] });
    expect(await watch.idle(0)).toEqual([{ topic: 't', partition: 0 }]);
    starts.set('t:0', 1n); // the group committed less than this member had handled (another member's view)
    watch.assign({ t: [0] });
    expect(await watch.idle(1)).toEqual([]);
  });
});

describe('kafkaDrainSource', () => {
  it('starts at the committed offset, or at the reset position when none is committed', async () => {
    const admin = {
      fetchTopicOffsets: async () => [
        { partition: 0, high: '9', low: '2' },
        { partition: 1, high: '7', low: '0' },
      ],
      fetchOffsets: async () => [{ topic: 't', partitions: [{ partition: 0, offset: '-1' }, { partition: 1, offset: '5' }] }],
    };
    expect(await kafkaDrainSource(admin, 'g', true).startPositions(['t'])).toEqual(new Map([['t:0', 2n], ['t:1', 5n]]));
    expect(await kafkaDrainSource(admin, 'g', false).startPositions(['t'])).toEqual(new Map([['t:0', 9n], ['t:1', 5n]]));
    expect(await kafkaDrainSource(admin, 'g', true).logEnds(['t'])).toEqual(new Map([['t:0', 9n], ['t:1', 7n]]));
  });
});
