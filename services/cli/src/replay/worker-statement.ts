/**
 * `cxg statement` through a running accruals worker (docs/accruals.md, "Reading statements from a
 * running embedded pipeline"): chdb lets one process open a directory, so while the worker owns
 * it the statement comes from the worker's `GET /statement`, built there by the same ledger code,
 * and is rebuilt here into the same Statement, which prints exactly as one read from ClickHouse.
 */
import { readWorkerSettings } from '@cxg/platform';
import { LEDGER_ROUTE, ledgerLocation, noLinesMessage, statementFromDocument, statementQuery, type Statement } from '@cxg/ledger';
import { CliError } from '../errors.ts';

const TIMEOUT_MS = 30_000;

/** `http://127.0.0.1:<accruals METRICS_PORT>`, the worker `cxg run accruals` on this machine listens on. */
export function defaultWorkerUrl(): string {
  const port = readWorkerSettings().accruals.metricsPort;
  if (port === 0) throw new CliError('METRICS_PORT is 0 (a free port, unknown here): pass --worker http://host:port of the accruals worker', 2);
  return `http://127.0.0.1:${port}`;
}

/** `host:port` or an http(s) URL, without a trailing slash. */
export function workerArg(raw: string): string {
  const url = /^https?:\/\//.test(raw) ? raw : `http://${raw}`;
  try {
    const u = new URL(url);
    if (u.search || u.hash) throw new Error('query');
  } catch {
    throw new CliError(`--worker: expected http://host:port (got ${raw})`, 1);
  }
  return url.replace(/\/+$/, '');
}

class Unreachable extends Error {}

async function get(worker: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(`${worker}${path}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    throw new Unreachable(e.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message));
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    throw new CliError(`${worker}${path} answered ${res.status} with something other than JSON: is it an accruals worker's METRICS_PORT?`, 2);
  }
}

const errorOf = (body: Record<string, unknown>) => (typeof body.error === 'string' ? body.error : JSON.stringify(body));

export interface WorkerStatementRequest {
  contract: string;
  month: string;
  allLines: boolean;
  /**
   * Set when falling back from an embedded directory in use: the ledger the worker must own
   * (else its statement is another ledger's) and the process holding it, named in the errors.
   */
  fallbackFrom?: { clickhouse: string; pid: number | null };
}

/** The statement from the accruals worker at `worker`; every failure is one CliError (exit 1 no lines, else 2). */
export async function statementFromWorker(worker: string, req: WorkerStatementRequest): Promise<Statement> {
  const inUse = (why: string) => {
    const pid = req.fallbackFrom?.pid ?? null;
    return new CliError(
      `${ledgerLocation(req.fallbackFrom!.clickhouse)} is in use by another process${pid === null ? '' : ` (pid ${pid})`} and ${why}: ` +
        'stop that process, or pass --worker http://host:port of the accruals worker that owns it',
      2,
    );
  };
  try {
    if (req.fallbackFrom !== undefined) {
      const ledger = await get(worker, LEDGER_ROUTE);
      if (ledger.status !== 200) throw inUse(`${worker} is no accruals worker serving statements (${LEDGER_ROUTE}: ${ledger.status} ${errorOf(ledger.body)})`);
      const mine = ledgerLocation(req.fallbackFrom.clickhouse);
      if (ledger.body.clickhouse !== mine) throw inUse(`the accruals worker at ${worker} writes ${String(ledger.body.clickhouse)}, not it`);
    }
    const { status, body } = await get(worker, statementQuery(req.contract, req.month, req.allLines));
    if (status === 200) {
      try {
        return statementFromDocument(body);
      } catch (err) {
        throw new CliError(`the accruals worker at ${worker} answered a statement this cxg cannot read (${(err as Error).message})`, 2);
      }
    }
    if (status === 404 && Array.isArray(body.contracts_with_lines)) {
      const where = req.fallbackFrom === undefined ? `the ledger of the accruals worker at ${worker}` : `${ledgerLocation(req.fallbackFrom.clickhouse)} (through the accruals worker at ${worker})`;
      throw new CliError(noLinesMessage(req.contract, req.month, where, body.contracts_with_lines as string[]), 1);
    }
    throw new CliError(`the accruals worker at ${worker} answered ${status}: ${errorOf(body)}`, 2);
  } catch (err) {
    if (!(err instanceof Unreachable)) throw err;
    if (req.fallbackFrom !== undefined) throw inUse(`no accruals worker answers at ${worker} (${err.message})`);
    throw new CliError(`no accruals worker answers at ${worker} (${err.message})`, 2);
  }
}
