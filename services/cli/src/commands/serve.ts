// `cxg serve`: the read-only status page on localhost (docs/status-page.md); `cxg run all` starts
// it beside the workers (startStatusPage). The page itself: ../serve/.
import { InvalidArgumentError, type Command } from 'commander';
import { createLogger, exitOnSignals, readEndpoints, readWorkerSettings, type WorkerName } from '@cxg/platform';
import { DEFAULT_KEY_PREFIX } from '@cxg/kpi';
import { CliError } from '../errors.ts';
import { CLICKHOUSE_HELP, defaultClickHouse, loadConfig } from '../replay/ledger-cli.ts';
import { workerArg } from '../replay/worker-statement.ts';
import { WORKER_NAMES } from '../serve/pipeline-status.ts';
import { startStatusServer, type StatusServer } from '../serve/server.ts';
import { LedgerReader } from '../serve/ledger-status.ts';
import { readStatus } from '../serve/status.ts';

/** Beside the workers' 9401-9403, and taken by nothing of the local stack (README, ports). */
export const DEFAULT_SERVE_PORT = 9400;
export const DEFAULT_SERVE_HOST = '127.0.0.1';
const DEFAULT_REFRESH_S = 5;

export interface StatusPageOptions {
  host: string;
  port: number;
  refreshMs: number;
  /** Contracts YAML (thresholds, which contracts the ledger section lists); default CX_CONFIG. */
  config?: string;
  clickhouse: string;
  kpiPrefix: string;
  /** Each worker's metrics base URL; the accruals worker's is also asked for the ledger. */
  workers: Record<WorkerName, string>;
}

export function portArg(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65_535) throw new InvalidArgumentError('expected a TCP port, 0 to 65535 (0 picks a free one)');
  return n;
}

function secondsArg(raw: string): number {
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || n < 1 || n > 3600) throw new InvalidArgumentError('expected seconds, 1 to 3600');
  return n;
}

/** http://127.0.0.1:<port> of each worker on this machine, the ports `cxg run <worker>` listens on. */
export function defaultWorkerUrls(): Record<WorkerName, string> {
  const settings = readWorkerSettings();
  return Object.fromEntries(WORKER_NAMES.map((w) => [w, `http://127.0.0.1:${settings[w].metricsPort}`])) as Record<WorkerName, string>;
}

/** Starts the page; the contracts file is read once here (a wrong one fails the start, exit 2). */
export async function startStatusPage(opts: StatusPageOptions): Promise<StatusServer> {
  const contracts = loadConfig(opts.config).contracts;
  const { redisUrl } = readEndpoints();
  const log = createLogger('serve');
  const ledger = new LedgerReader({ clickhouse: opts.clickhouse, worker: opts.workers.accruals }, contracts);
  return startStatusServer({
    host: opts.host,
    port: opts.port,
    refreshMs: opts.refreshMs,
    onError: (err) => log.error({ err }, 'status request failed'),
    read: () =>
      readStatus({
        redisUrl,
        kpiPrefix: opts.kpiPrefix,
        contracts,
        workers: opts.workers,
        ledger,
      }),
  });
}

/** `--detector` etc.: host:port or an http(s) URL, as `cxg statement --worker` takes it. */
function urlOption(flag: string, raw: string | undefined, fallback: string): string {
  if (raw === undefined) return fallback;
  try {
    return workerArg(raw);
  } catch {
    throw new CliError(`${flag}: expected http://host:port (got ${raw})`, 1);
  }
}

interface ServeOptions {
  port: number;
  host: string;
  refresh: number;
  config?: string;
  clickhouse: string;
  prefix?: string;
  detector?: string;
  kpi?: string;
  accruals?: string;
}

const HELP = `
A read-only web page of what the embedded default has no Grafana for, refreshed every --refresh
seconds (the page polls GET /api/status of the same server, a JSON document with every figure):
  KPIs per provider   the rolling KPIs of the 1h, 24h and 7d windows from the kpi worker's Redis
                      (REDIS_URL, key prefix --prefix), the same figures as \`cxg kpis --window all
                      --json\`, and the kpi_thresholds of each provider's contract valid at the
                      watermark with the alert state the kpi worker stored (OK or BREACHED)
  pipeline            per worker, from its metrics port: up and ready (/readyz), consumer lag per
                      topic (cx_consumer_lag), DLQ records by reason (cx_dlq_total), dependencies
  ledger              per contract of the contracts file, the month the ledger's watermark is in:
                      total, provisional or final, a chart of the daily amounts and the totals per
                      line type, the figures of \`cxg statement --format json\`
A source that is away (Redis, a worker's port, ClickHouse) is shown down with the reason; the page
keeps serving and shows it again once it answers. The ledger is read through the accruals worker
when it runs and writes that ledger (chdb lets one process open a directory), else by opening
--clickhouse for the length of one read, at most every 30 s (a command such as cxg replay that
opens the directory at that moment finds it in use and says so: run it again).

Binds to 127.0.0.1 by default: the page has no login. --host 0.0.0.0 serves every interface.
\`cxg run all\` starts the same page on port ${DEFAULT_SERVE_PORT} (its --serve-port, --no-serve).

Exit codes: 0 stopped on SIGTERM/SIGINT; 1 invalid arguments, the port in use; 2 invalid contracts file.

Examples:
  cxg serve                                   # http://127.0.0.1:${DEFAULT_SERVE_PORT}/
  cxg serve --port 8090 --refresh 2
  cxg serve --clickhouse chdb://.cxg/replay/clickhouse --config docs/examples/contracts.yaml
  curl -s http://127.0.0.1:${DEFAULT_SERVE_PORT}/api/status | jq .sources`;

export function register(program: Command): void {
  program
    .command('serve')
    .description('a read-only status page on localhost: KPIs with thresholds and alert state, pipeline lag and DLQ, the month-to-date ledger per contract')
    .option('--port <port>', `TCP port (0 picks a free one)`, portArg, DEFAULT_SERVE_PORT)
    .option('--host <host>', 'address to bind', DEFAULT_SERVE_HOST)
    .option('--refresh <seconds>', 'how often the page refreshes itself', secondsArg, DEFAULT_REFRESH_S)
    .option('--config <file>', 'contracts YAML (thresholds; the contracts the ledger section lists); default CX_CONFIG')
    .option('--clickhouse <url>', CLICKHOUSE_HELP, defaultClickHouse())
    .option('--prefix <prefix>', `Redis key prefix of the kpi worker (default: CX_KPI_KEY_PREFIX or ${DEFAULT_KEY_PREFIX})`)
    .option('--detector <url>', 'metrics port of the detector (default http://127.0.0.1:<its METRICS_PORT, 9401>)')
    .option('--kpi <url>', 'metrics port of the kpi worker (default http://127.0.0.1:<its METRICS_PORT, 9402>)')
    .option('--accruals <url>', 'metrics port of the accruals worker, also asked for the ledger (default http://127.0.0.1:<its METRICS_PORT, 9403>)')
    .addHelpText('after', HELP)
    .action(async (opts: ServeOptions) => {
      const defaults = defaultWorkerUrls();
      const workers = {
        detector: urlOption('--detector', opts.detector, defaults.detector),
        kpi: urlOption('--kpi', opts.kpi, defaults.kpi),
        accruals: urlOption('--accruals', opts.accruals, defaults.accruals),
      };
      const page = await startStatusPage({
        host: opts.host,
        port: opts.port,
        refreshMs: Math.round(opts.refresh * 1000),
        ...(opts.config === undefined ? {} : { config: opts.config }),
        clickhouse: opts.clickhouse,
        kpiPrefix: opts.prefix ?? process.env.CX_KPI_KEY_PREFIX ?? DEFAULT_KEY_PREFIX,
        workers,
      });
      // The one line of output: where the page is (a test or script reads the port of --port 0 here).
      process.stdout.write(`status page: ${page.url}\n`);
      exitOnSignals(createLogger('serve'), () => page.close());
    });
}
