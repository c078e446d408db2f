// The public entry point: a re-iterable stream of records plus live statistics and progress.
import { IdSource } from './ids.ts';
import { withFaults } from './inject.ts';
import { resolveOptions, type SimConfig, type SimOptions } from './options.ts';
import type { SimRecord } from './record.ts';
import { emptyStats, type SimStats } from './stats.ts';
import { traffic } from './traffic.ts';

/** Anything that can say how far along it is (0..1), for progress bars. */
export interface ProgressSource {
  fraction(): number;
}

export interface SimRun extends Iterable<SimRecord>, ProgressSource {
  readonly config: SimConfig;
  /** Statistics of the current (or last) iteration. */
  readonly stats: SimStats;
}

/**
 * Validates the options (throws RangeError with a message fit for users) and returns the run.
 * Nothing is generated until iteration; each iteration starts over and yields the same records.
 */
export function simulate(options: SimOptions): SimRun {
  const config = resolveOptions(options);
  let stats = emptyStats();
  const span = config.endMs - config.startMs;
  return {
    config,
    get stats() {
      return stats;
    },
    fraction() {
      const last = stats.lastEventMs;
      return last === null ? 0 : Math.min(1, Math.max(0, (last - config.startMs) / span));
    },
    [Symbol.iterator]() {
      stats = emptyStats();
      const ids = new IdSource(config.tag);
      // Injected records use their own id namespace, so sharing the IdSource type is safe.
      return withFaults(traffic(config), config, ids, stats);
    },
  };
}
