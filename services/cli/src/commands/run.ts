import type { Command } from 'commander';
import { createLogger, exitFatally, exitOnSignals } from '@cxg/platform';
import { startDetector } from '@cxg/detector';
import { CliError } from '../errors.ts';

const WORKERS = {
  detector: startDetector,
  kpi: () => import('@cxg/kpi').then((m) => m.startKpi()),
  accruals: () => import('@cxg/accruals').then((m) => m.startAccruals()),
} as const;
type WorkerName = keyof typeof WORKERS;

export function register(program: Command): void {
  program
    .command('run')
    .description(`run a worker until SIGTERM/SIGINT: ${Object.keys(WORKERS).join(', ')}, or all of them in this process (development)`)
    .argument('<worker>', `${Object.keys(WORKERS).join(' | ')} | all`)
    .addHelpText('after', '\nEndpoints come from the environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL, CLICKHOUSE_URL, CX_CONFIG, METRICS_PORT); see the README.\nLogs: one JSON line each on stderr, at LOG_LEVEL (default info); nothing is written to stdout.')
    .action(async (worker: string) => {
      const names = worker === 'all' ? (Object.keys(WORKERS) as WorkerName[]) : [worker as WorkerName];
      for (const n of names) if (!(n in WORKERS)) throw new CliError(`unknown worker ${n}: expected ${Object.keys(WORKERS).join(', ')} or all`, 1);
      const running = await Promise.all(names.map((n) => WORKERS[n]()));
      const log = createLogger('cli');
      const stopAll = async () => {
        await Promise.all(running.map((w) => w.stop()));
      };
      exitOnSignals(log, stopAll);
      // A consumer kafkajs gave up on would leave a process that answers /healthz but consumes
      // nothing: stop what runs and exit 1, so the supervisor starts a fresh process.
      void Promise.race(running.map((w) => w.fatal)).then((err) => exitFatally(log, err, stopAll));
    });
}
