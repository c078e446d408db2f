/**
 * The month-to-date ledger for the status page: per contract of the contracts file, the statement
 * of the month the ledger's watermark is in (contract-local), read with the code of `cxg
 * statement` (readStatement on an open ledger, or statementFromWorker through a running accruals
 * worker), so the page's figures are `cxg statement --format json`'s.
 *
 * The worker is asked first: chdb lets one process open a directory, and while the accruals worker
 * runs it holds it. When no worker answers, the directory is opened here for the length of one
 * read, and such a read is kept DIRECT_MAX_AGE_MS (LedgerReader): without a worker only a command
 * (replay, rerate) changes the ledger, and it needs the directory itself, so reading it at every
 * refresh would mostly get in its way.
 */
import { localDateOf, validityDaysInMonth, type Contract } from '@cxg/engine';
import { DatabaseInUseError, LEDGER_ROUTE, ledgerLocation, readStatement, readWatermark, type Statement } from '@cxg/ledger';
import { CliError } from '../errors.ts';
import { withLedger } from '../replay/ledger-cli.ts';
import { statementFromWorker } from '../replay/worker-statement.ts';

export interface ContractMonth {
  contract_id: string;
  provider_id: string;
  /** The contract-local month the watermark is in. */
  month: string;
  /** Null: no ledger line (nor adjustment) of that month yet. */
  statement: Statement | null;
}

export type LedgerStatus =
  | { up: true; via: 'clickhouse' | 'worker'; where: string; watermark_ms: number | null; contracts: ContractMonth[] }
  | { up: false; where: string; error: string };

export interface LedgerSource {
  /** CLICKHOUSE_URL or --clickhouse. */
  clickhouse: string;
  /** The accruals worker that may hold it (http://host:port), or null when none is expected. */
  worker: string | null;
}

const TIMEOUT_MS = 2_000;
/** How long a read of a directory opened here is shown before the directory is opened again. */
export const DIRECT_MAX_AGE_MS = 30_000;

/** The contracts whose validity has days in their month of `watermarkMs`, with that month. */
function monthsAt(contracts: readonly Contract[], watermarkMs: number): Array<{ contract: Contract; month: string }> {
  return contracts
    .map((contract) => ({ contract, month: localDateOf(watermarkMs, contract.timezone).slice(0, 7) }))
    .filter(({ contract, month }) => validityDaysInMonth(contract, month).length > 0);
}

/** The worker's GET /ledger when it answers and writes this very ledger, else null. */
async function workerOfLedger(worker: string, clickhouse: string): Promise<{ watermark_ms: number | null } | null> {
  try {
    const res = await fetch(`${worker}${LEDGER_ROUTE}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (res.status !== 200) return null;
    const body = (await res.json()) as { clickhouse?: unknown; watermark_ms?: unknown };
    if (body.clickhouse !== ledgerLocation(clickhouse)) return null;
    return { watermark_ms: typeof body.watermark_ms === 'number' ? body.watermark_ms : null };
  } catch {
    return null;
  }
}

async function throughWorker(worker: string, clickhouse: string, watermarkMs: number | null, contracts: readonly Contract[]): Promise<LedgerStatus> {
  const out: ContractMonth[] = [];
  for (const { contract, month } of watermarkMs === null ? [] : monthsAt(contracts, watermarkMs)) {
    let statement: Statement | null;
    try {
      statement = await statementFromWorker(worker, { contract: contract.id, month, allLines: false, fallbackFrom: { clickhouse, pid: null } });
    } catch (err) {
      // exit 1 of `cxg statement`: no lines of that month yet; anything else: the worker fails
      if (err instanceof CliError && err.exitCode === 1) statement = null;
      else throw err;
    }
    out.push({ contract_id: contract.id, provider_id: contract.provider_id, month, statement });
  }
  return { up: true, via: 'worker', where: `${ledgerLocation(clickhouse)} through the accruals worker at ${worker}`, watermark_ms: watermarkMs, contracts: out };
}

/** One read of the ledger; unavailable is `up: false` with the reason, never a throw. */
export async function readLedgerStatus(source: LedgerSource, contracts: readonly Contract[]): Promise<LedgerStatus> {
  const where = ledgerLocation(source.clickhouse);
  try {
    const worker = source.worker === null ? null : await workerOfLedger(source.worker, source.clickhouse);
    if (worker !== null) return await throughWorker(source.worker!, source.clickhouse, worker.watermark_ms, contracts);
    return await withLedger(source.clickhouse, async (client) => {
      const watermarkMs = await readWatermark(client);
      const out: ContractMonth[] = [];
      for (const { contract, month } of watermarkMs === null ? [] : monthsAt(contracts, watermarkMs)) {
        const read = await readStatement(client, contract.id, month);
        out.push({ contract_id: contract.id, provider_id: contract.provider_id, month, statement: read.statement });
      }
      return { up: true as const, via: 'clickhouse' as const, where, watermark_ms: watermarkMs, contracts: out };
    });
  } catch (err) {
    const why =
      err instanceof DatabaseInUseError
        ? `${err.message}${source.worker === null ? '' : ` No accruals worker of it answers at ${source.worker}.`}`
        : (err as Error).message;
    return { up: false, where, error: why };
  }
}

/** readLedgerStatus, except that a read of a directly opened ledger is kept DIRECT_MAX_AGE_MS. */
export class LedgerReader {
  private kept: { at: number; status: LedgerStatus } | null = null;

  constructor(
    private readonly source: LedgerSource,
    private readonly contracts: readonly Contract[],
    private readonly maxAgeMs = DIRECT_MAX_AGE_MS,
  ) {}

  async read(): Promise<LedgerStatus> {
    if (this.kept !== null && Date.now() - this.kept.at < this.maxAgeMs) {
      // a worker that started meanwhile holds the directory: read through it at once
      if (this.source.worker === null || (await workerOfLedger(this.source.worker, this.source.clickhouse)) === null) return this.kept.status;
    }
    const status = await readLedgerStatus(this.source, this.contracts);
    this.kept = status.up && status.via === 'clickhouse' ? { at: Date.now(), status } : null;
    return status;
  }
}
