import { describe, expect, it } from 'vitest';
import { pump, simulate, TokenBucket, type Clock, type RecordSink, type SimRecord } from '../src/index.ts';
import { options } from './helpers.ts';

/** A clock that only advances when someone sleeps: pacing is checked without waiting. */
function fakeClock(): Clock & { slept: number } {
  let t = 1_000_000;
  return {
    slept: 0,
    now: () => t,
    async sleep(ms) {
      this.slept += ms;
      t += ms;
    },
  };
}

function collectingSink(): RecordSink & { batches: SimRecord[][]; closed: boolean } {
  return {
    batches: [],
    closed: false,
    async send(batch) {
      this.batches.push([...batch]);
    },
    async close() {
      this.closed = true;
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst of its capacity through, then paces to the rate', () => {
    const b = new TokenBucket(100, 10, 0);
    expect(b.reserve(10, 0)).toBe(0);
    expect(b.reserve(10, 0)).toBe(100);
    // Time spent sleeping pays the debt.
    expect(b.reserve(10, 100)).toBe(100);
    expect(b.reserve(5, 1000)).toBe(0);
  });
});

describe('pump', () => {
  const records = [...simulate(options({ customers: 300, days: 2 }))];

  it('sends every record in order, in batches, and leaves the sink open', async () => {
    const sink = collectingSink();
    const result = await pump(records, sink, { batchSize: 64, clock: fakeClock() });
    expect(sink.batches.flat()).toEqual(records);
    expect(Math.max(...sink.batches.map((b) => b.length))).toBe(64);
    expect(result).toMatchObject({ records: records.length, batches: Math.ceil(records.length / 64), aborted: false });
    expect(sink.closed).toBe(false);
  });

  it('paces to the rate on the injected clock', async () => {
    const clock = fakeClock();
    const sink = collectingSink();
    const rate = 200;
    const result = await pump(records, sink, { rate, clock });
    const expectedMs = (records.length * 1000) / rate;
    // The first batch goes out at once (burst of one batch = rate/10 records).
    expect(result.elapsedMs).toBeGreaterThan(expectedMs - 150);
    expect(result.elapsedMs).toBeLessThan(expectedMs + 150);
    expect(Math.max(...sink.batches.map((b) => b.length))).toBe(rate / 10);
    expect(sink.batches.flat()).toEqual(records);
  });

  it('stops after the batch in flight when aborted', async () => {
    const controller = new AbortController();
    const sink = collectingSink();
    const abortingSink: RecordSink = {
      async send(batch) {
        await sink.send(batch);
        if (sink.batches.length === 3) controller.abort();
      },
      close: () => sink.close(),
    };
    const result = await pump(records, abortingSink, { batchSize: 10, clock: fakeClock(), signal: controller.signal });
    expect(result).toMatchObject({ records: 30, batches: 3, aborted: true });
    expect(sink.batches.flat()).toEqual(records.slice(0, 30));
  });

  it('propagates sink failures', async () => {
    const failing: RecordSink = {
      async send() {
        throw new Error('broker down');
      },
      async close() {},
    };
    await expect(pump(records, failing, { clock: fakeClock() })).rejects.toThrow('broker down');
  });

  it('rejects a non-positive rate or batch size', async () => {
    await expect(pump(records, collectingSink(), { rate: 0 })).rejects.toThrow(/rate/);
    await expect(pump(records, collectingSink(), { batchSize: 0 })).rejects.toThrow(/batch size/);
  });
});
