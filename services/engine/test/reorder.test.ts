import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReorderBuffer, compareOrderKeys, type OrderKey, type Released } from '../src/index.ts';
import { MinHeap } from '../src/heap.ts';

interface Item {
  id: string;
  t: number;
  start?: number;
  offset?: number | string | bigint;
  stream?: string;
}

const L = 100;

function buffer(withPositions = false) {
  return new ReorderBuffer<Item>({
    allowedLatenessMs: L,
    key: (i): OrderKey => ({ eventTime: i.t, startedAt: i.start ?? i.t, eventId: i.id }),
    ...(withPositions ? { position: (i: Item) => (i.offset === undefined ? undefined : { stream: i.stream ?? '', offset: i.offset }) } : {}),
  });
}

const ids = (released: Released<Item>[]) => released.map((r) => (r.late ? `${r.item.id}!` : r.item.id));

describe('ReorderBuffer: watermark release', () => {
  it('holds items until the watermark (greatest event time − L) passes them, strictly', () => {
    const b = buffer();
    expect(ids(b.push({ id: 'a', t: 1000 }))).toEqual([]);
    expect(b.watermarkMs).toBe(900);
    expect(ids(b.push({ id: 'b', t: 1100 }))).toEqual([]); // watermark 1000 = a's time: not yet
    expect(ids(b.push({ id: 'c', t: 1101 }))).toEqual(['a']);
    expect(b.size).toBe(2);
    expect(b.maxEventTimeMs).toBe(1101);
  });

  it('releases in (event time, started_at, event_id) order, event_id by code points', () => {
    const b = buffer();
    b.push({ id: 'z', t: 10, start: 5 });
    b.push({ id: 'y', t: 10, start: 1 });
    b.push({ id: 'e9', t: 10, start: 5 });
    b.push({ id: 'e10', t: 10, start: 5 });
    b.push({ id: 'first', t: 9, start: 9 });
    expect(ids(b.push({ id: 'late-trigger', t: 10 + L + 1 }))).toEqual(['first', 'y', 'e10', 'e9', 'z']);
  });

  it('releases all items of one event time together', () => {
    const b = buffer();
    b.push({ id: 'a', t: 500 });
    b.push({ id: 'x', t: 600 }); // watermark 500: a stays
    expect(ids(b.push({ id: 'b', t: 500 }))).toEqual([]); // still in order (= watermark)
    expect(ids(b.push({ id: 'y', t: 601 }))).toEqual(['a', 'b']);
  });

  it('an item below what was released comes back at once, flagged late, and is counted', () => {
    const b = buffer();
    b.push({ id: 'a', t: 1000 });
    b.push({ id: 'b', t: 1200 }); // releases a (1000 < 1100)
    expect(ids(b.push({ id: 'old', t: 1099 }))).toEqual(['old!']);
    expect(ids(b.push({ id: 'edge', t: 1100 }))).toEqual([]); // at the watermark: buffered
    expect(b.lateCount).toBe(1);
  });

  it('never releases out of order or drops anything (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 3 })), { maxLength: 60 }), (raw) => {
        const b = buffer();
        const out: Released<Item>[] = [];
        raw.forEach(([t, s], i) => out.push(...b.push({ id: `e${i}`, t, start: t - s })));
        out.push(...b.flush());
        expect(out.length).toBe(raw.length);
        const keys = out.filter((r) => !r.late).map((r) => ({ eventTime: r.item.t, startedAt: r.item.start!, eventId: r.item.id }));
        for (let i = 1; i < keys.length; i++) expect(compareOrderKeys(keys[i - 1]!, keys[i]!)).toBeLessThan(0);
        // Without idle releases, an item is late exactly when it arrived more than L behind the greatest time seen before it.
        const lateIds = new Set(out.filter((r) => r.late).map((r) => r.item.id));
        let max = -Infinity;
        raw.forEach(([t], i) => {
          expect(lateIds.has(`e${i}`)).toBe(t < max - L);
          max = Math.max(max, t);
        });
        expect(b.size).toBe(0);
      }),
    );
  });
});

describe('ReorderBuffer: idle release', () => {
  it('holds everything until its stream is declared idle, however long nothing arrives', () => {
    const b = buffer();
    b.push({ id: 'a', t: 1000 });
    b.push({ id: 'b', t: 1050 });
    // No wall clock anywhere: a busy or stalled worker receiving nothing releases nothing.
    expect(ids(b.setIdle([]))).toEqual([]);
    expect(ids(b.setIdle(['some-other-stream']))).toEqual([]);
    expect(ids(b.setIdle(['']))).toEqual(['a', 'b']);
    expect(b.size).toBe(0);
    expect(ids(b.flush())).toEqual([]);
  });

  it('after an idle release, items at or below the greatest released time are late; a delivery makes the stream active again', () => {
    const b = buffer();
    b.push({ id: 'a', t: 1000 });
    b.flush();
    expect(ids(b.push({ id: 'same', t: 1000 }))).toEqual(['same!']);
    expect(ids(b.push({ id: 'next', t: 1001 }))).toEqual([]); // buffered: the stream is active again
    expect(ids(b.push({ id: 'after', t: 1001 + L + 1 }))).toEqual(['next']);
    expect(b.lateCount).toBe(1);
  });
});

describe('ReorderBuffer: offsets', () => {
  it('tracks the smallest buffered offset per stream, whatever order items leave in', () => {
    const b = buffer(true);
    b.push({ id: 'x', t: 1000, stream: 'cx.contacts.v1', offset: '10' });
    b.push({ id: 'y', t: 900, stream: 'cx.contacts.v1', offset: '11' });
    b.push({ id: 'w', t: 950, stream: 'cx.web.v1', offset: 7n });
    expect(b.minBufferedOffset('cx.contacts.v1')).toBe(10n);
    expect(b.minBufferedOffset('cx.web.v1')).toBe(7n);
    expect(b.minBufferedOffset('other')).toBeUndefined();
    // Releases y (900) and w (950) but not x (1000): contacts stay at 10.
    expect(ids(b.push({ id: 'z', t: 1060, stream: 'cx.contacts.v1', offset: '12' }))).toEqual(['y', 'w']);
    expect(b.minBufferedOffsets()).toEqual(new Map([['cx.contacts.v1', 10n]]));
    expect(ids(b.push({ id: 'q', t: 1101, stream: 'cx.contacts.v1', offset: '13' }))).toEqual(['x']);
    expect(b.minBufferedOffset('cx.contacts.v1')).toBe(12n);
  });

  it('compares offsets numerically, not as strings', () => {
    const b = buffer(true);
    b.push({ id: 'a', t: 5, offset: '9' });
    b.push({ id: 'b', t: 6, offset: '10' });
    expect(b.minBufferedOffset()).toBe(9n);
  });

  it('late items are never buffered, so they never hold the offset back', () => {
    const b = buffer(true);
    b.push({ id: 'a', t: 1000, offset: 1 });
    b.push({ id: 'b', t: 1200, offset: 2 });
    b.push({ id: 'late', t: 10, offset: 3 });
    expect(b.minBufferedOffset()).toBe(2n);
  });

  it('clear() drops everything (a revoked partition)', () => {
    const b = buffer(true);
    b.push({ id: 'a', t: 1000, offset: 1 });
    b.clear();
    expect(b.size).toBe(0);
    expect(b.minBufferedOffset()).toBeUndefined();
    expect(b.watermarkMs).toBeNull();
    expect(ids(b.push({ id: 'old', t: 1, offset: 2 }))).toEqual([]);
  });
});

describe('MinHeap', () => {
  it('pops in order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (xs) => {
        const h = new MinHeap<number>((a, b) => a - b);
        xs.forEach((x) => h.push(x));
        const out: number[] = [];
        for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
        expect(out).toEqual([...xs].sort((a, b) => a - b));
      }),
    );
  });
});

describe('ReorderBuffer: co-partitioned streams', () => {
  const coBuffer = () =>
    new ReorderBuffer<Item>({
      allowedLatenessMs: L,
      key: (i): OrderKey => ({ eventTime: i.t, startedAt: i.t, eventId: i.id }),
      position: (i) => ({ stream: i.stream!, offset: i.offset ?? 0 }),
      streams: ['contacts', 'web'],
    });

  it('does not let a topic fetched ahead make the other topic late', () => {
    const b = coBuffer();
    // The consumer delivers a whole contacts batch far ahead before the web batch of the same partition.
    expect(ids(b.push({ id: 'c1', t: 1000, stream: 'contacts' }))).toEqual([]);
    expect(ids(b.push({ id: 'c2', t: 5000, stream: 'contacts' }))).toEqual([]);
    // web has not delivered yet (and is not idle): nothing is released, nothing will be late
    expect(ids(b.push({ id: 'w1', t: 1500, stream: 'web' }))).toEqual(['c1']);
    // watermark = min(5000, 6000) − L: c2 waits until contacts move on too
    expect(ids(b.push({ id: 'w2', t: 6000, stream: 'web' }))).toEqual(['w1']);
    expect(ids(b.push({ id: 'c3', t: 6200, stream: 'contacts' }))).toEqual(['c2']);
    expect(b.lateCount).toBe(0);
  });

  it('leaves out a stream declared idle, and only that one', () => {
    const b = coBuffer();
    b.push({ id: 'c1', t: 1000, stream: 'contacts' });
    expect(ids(b.push({ id: 'c2', t: 5000, stream: 'contacts' }))).toEqual([]);
    // web never delivered and is not idle: contacts wait, whatever the wall clock does
    expect(ids(b.setIdle(['contacts']))).toEqual([]);
    // web has nothing more to give: it no longer holds contacts back (contacts itself is active)
    expect(ids(b.setIdle(['web']))).toEqual(['c1']);
    // a web event later than the released frontier is processed at once, flagged late
    expect(ids(b.push({ id: 'w1', t: 900, stream: 'web' }))).toEqual(['w1!']);
    // web delivered, so it is active again and holds back from its own time
    expect(ids(b.push({ id: 'c3', t: 9000, stream: 'contacts' }))).toEqual([]);
    expect(ids(b.setIdle([]))).toEqual([]);
    expect(ids(b.setIdle(['web', 'contacts']))).toEqual(['c2', 'c3']);
  });
});
