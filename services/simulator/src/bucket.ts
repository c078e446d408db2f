/**
 * Token bucket for record rates. Reservations may run into debt: the caller sleeps the returned
 * time and then sends, which keeps the long-run rate exact without a polling loop.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `rate` tokens per second, at most `capacity` saved up (the allowed burst). */
  constructor(
    private readonly rate: number,
    private readonly capacity: number,
    nowMs: number,
  ) {
    if (!(rate > 0)) throw new RangeError(`rate must be positive, got ${rate}`);
    this.tokens = capacity;
    this.last = nowMs;
  }

  /** Takes `n` tokens; returns how many ms to wait before using them (0 = now). */
  reserve(n: number, nowMs: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.last) * this.rate) / 1000);
    this.last = nowMs;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }
}
