// Binary min-heap of pending records ordered by (arrival, seq): seq breaks ties in creation
// order, so the output order is a pure function of the seed.

export interface Pending<T> {
  readonly arrival: number;
  readonly seq: number;
  readonly item: T;
}

function before<T>(x: Pending<T>, y: Pending<T>): boolean {
  return x.arrival < y.arrival || (x.arrival === y.arrival && x.seq < y.seq);
}

export class ArrivalHeap<T> {
  private readonly items: Array<Pending<T>> = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Pending<T> | undefined {
    return this.items[0];
  }

  push(entry: Pending<T>): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as Pending<T>;
      if (!before(entry, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): Pending<T> | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= items.length) break;
      const r = l + 1;
      const left = items[l] as Pending<T>;
      const right = items[r];
      const child = right !== undefined && before(right, left) ? r : l;
      const c = items[child] as Pending<T>;
      if (!before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
