// Customer base state in typed arrays: a few bytes per customer, so 300k customers cost ~4 MB
// while their records stream out day by day.
import type { ProviderProfile } from './providers.ts';
import { at, Weighted, type Rng } from './rng.ts';
import { LIFECYCLE } from './params.ts';

export class CustomerBase {
  readonly size: number;
  /** Customers [0, baseCount) are activated at the start; the rest join over the days. */
  readonly baseCount: number;
  private readonly initial: Uint8Array;
  private readonly current: Uint8Array;
  private readonly activated: Float64Array;
  private readonly gone: Uint8Array;
  private readonly portfolio: Weighted<number>;

  constructor(rng: Rng, size: number, readonly providers: readonly ProviderProfile[]) {
    this.size = size;
    this.baseCount = Math.max(1, Math.round(size * LIFECYCLE.baseShare));
    this.initial = new Uint8Array(size);
    this.current = new Uint8Array(size);
    this.activated = new Float64Array(size).fill(Infinity);
    this.gone = new Uint8Array(size);
    this.portfolio = new Weighted(providers.map((p, i) => [i, p.share] as const));
    for (let c = 0; c < this.baseCount; c++) {
      const p = this.portfolio.draw(rng);
      this.initial[c] = p;
      this.current[c] = p;
    }
  }

  static id(index: number): string {
    return `cust-${String(index + 1).padStart(6, '0')}`;
  }

  /** The provider a base customer was loaded with (moves later change only the current one). */
  initialProvider(c: number): ProviderProfile {
    return at(this.providers, this.initial[c] ?? 0);
  }

  provider(c: number): ProviderProfile {
    return at(this.providers, this.current[c] ?? 0);
  }

  activatedAt(c: number): number {
    return this.activated[c] ?? Infinity;
  }

  isGone(c: number): boolean {
    return this.gone[c] === 1;
  }

  markBaseActivated(c: number, atMs: number): void {
    this.activated[c] = atMs;
  }

  activateNew(rng: Rng, c: number, atMs: number): ProviderProfile {
    const p = this.portfolio.draw(rng);
    this.current[c] = p;
    this.activated[c] = atMs;
    return this.provider(c);
  }

  churn(c: number): void {
    this.gone[c] = 1;
  }

  /** Moves the customer to another provider (by portfolio share) and returns it. */
  move(rng: Rng, c: number): ProviderProfile {
    const from = this.current[c] ?? 0;
    let to = from;
    // Rejection sampling keeps the share weights; the bound guards a dominant single share.
    for (let tries = 0; to === from && tries < 20; tries++) to = this.portfolio.draw(rng);
    if (to === from) to = (from + 1) % this.providers.length;
    this.current[c] = to;
    return this.provider(c);
  }
}
