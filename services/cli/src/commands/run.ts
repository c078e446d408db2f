import type { Command } from 'commander';
import type { AddressInfo } from 'node:net';
import { createLogger, exitFatally, exitOnSignals, readEndpoints, readWorkerSettings, type RunningWorker } from '@cxg/platform';
import { startDetector } from '@cxg/detector';
import { CliError } from '../errors.ts';
import { DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT, portArg, startStatusPage } from './serve.ts';

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
    .option('--serve-port <port>', `with all: port of the status page (cxg serve) started beside the workers`, portArg, DEFAULT_SERVE_PORT)
    .option('--no-serve', 'with all: no status page')
    .addHelpText(
      'after',
      `
Endpoints come from the environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL, CLICKHOUSE_URL, CX_CONFIG, METRICS_PORT); see the README.
Logs: one JSON line each on stderr, at LOG_LEVEL (default info); with all, stdout has one line, the status page's address.
all also serves the status page of \`cxg serve\` at http://${DEFAULT_SERVE_HOST}:<--serve-port, ${DEFAULT_SERVE_PORT}>/, reading the workers of this process.`,
    )
    .action(async (worker: string, opts: { servePort: number; serve: boolean }) => {
      const names = worker === 'all' ? (Object.keys(WORKERS) as WorkerName[]) : [worker as WorkerName];
      for (const n of names) if (!(n in WORKERS)) throw new CliError(`unknown worker ${n}: expected ${Object.keys(WORKERS).join(', ')} or all`, 1);
      const running = await Promise.all(names.map((n) => WORKERS[n]()));
      const log = createLogger('cli');
      // The page reads the workers of this process on the ports they really bound (METRICS_PORT 0
      // included) and the ledger through the accruals worker: this process holds its chdb directory.
      let page: Awaited<ReturnType<typeof startPage>> | null = null;
      try {
        if (worker === 'all' && opts.serve) page = await startPage(running, opts.servePort);
      } catch (err) {
        await Promise.all(running.map((w) => w.stop())); // a page that cannot start (port in use) leaves no workers behind
        throw err;
      }
      if (page !== null) process.stdout.write(`status page: ${page.url}\n`);
      const stopAll = async () => {
        await Promise.all([...running.map((w) => w.stop()), page?.close()]);
      };
      exitOnSignals(log, stopAll);
      // A consumer kafkajs gave up on would leave a process that answers /healthz but consumes
      // nothing: stop what runs and exit 1, so the supervisor starts a fresh process.
      void Promise.race(running.map((w) => w.fatal)).then((err) => exitFatally(log, err, stopAll));
    });
}

async function startPage(running: readonly RunningWorker[], port: number) {
  const [detector, kpi, accruals] = running.map((w) => `http://127.0.0.1:${(w.server.address() as AddressInfo).port}`) as [string, string, string];
  return startStatusPage({
    host: DEFAULT_SERVE_HOST,
    port,
    refreshMs: 5_000,
    clickhouse: readEndpoints().clickhouseUrl,
    kpiPrefix: readWorkerSettings().kpi.keyPrefix,
    workers: { detector, kpi, accruals },
  });
}
