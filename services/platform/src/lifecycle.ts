import type { Logger } from './logger.ts';

/**
 * SIGTERM/SIGINT: run `stop` (stop fetching, finish the batch, commit, disconnect) and exit 0;
 * exit 1 if it fails or takes longer than `timeoutMs`, so an orchestrator never waits forever.
 */
export function exitOnSignals(log: Logger, stop: () => Promise<void>, timeoutMs = 10_000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs).unref();
    stop().then(
      () => {
        log.info('stopped cleanly');
        process.exit(0);
      },
      (err: Error) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/** A worker failed for good: stop (bounded by `timeoutMs`) and exit 1 whatever stop does. */
export function exitFatally(log: Logger, err: Error, stop: () => Promise<void>, timeoutMs = 10_000): void {
  log.fatal({ err }, 'worker failed for good; exiting with status 1 so that the supervisor restarts it');
  setTimeout(() => process.exit(1), timeoutMs).unref();
  stop().then(
    () => process.exit(1),
    () => process.exit(1),
  );
}
