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
  let done = false;
  const span = config.endMs - config.startMs;
  return {
    config,
    get stats() {
      return stats;
    },
    fraction() {
      // Share of the simulated period covered so far (the base load at the start counts as 0).
      const last = stats.lastEventMs;
      if (done) return 1;
      return last === null ? 0 : Math.min(1, Math.max(0, (last - config.startMs) / span));
    },
    [Symbol.iterator]() {
      stats = emptyStats();
      done = false;
      // Injected records use their own id namespace, so a second IdSource never collides.
      const records = withFaults(traffic(config), config, new IdSource(config.tag), stats);
      return (function* () {
        yield* records;
        done = true;
      })();
    },
  };
}
