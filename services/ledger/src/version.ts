/**
 * Ledger versions. A version is the wall clock in ms × 1000 plus a counter, read when a rating
 * starts (before it reads any fact), strictly increasing within a process. Of two ratings of the
 * same day, the one that started later saw every fact the earlier one saw, so "highest version
 * wins" (ReplacingMergeTree) keeps the line computed from the most recent view of the facts.
 * Across processes this relies on their clocks agreeing to well under the time a rating takes.
 */
export class VersionClock {
  private last = 0n;

  constructor(private readonly now: () => number = Date.now) {}

  next(): bigint {
    const v = BigInt(Math.floor(this.now())) * 1000n;
    this.last = v > this.last ? v : this.last + 1n;
    return this.last;
  }
}
