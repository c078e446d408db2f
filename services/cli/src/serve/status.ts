/**
 * One snapshot of everything the status page shows, from its three kinds of source: Redis (KPIs,
 * alert states), the workers' metrics ports (lag, DLQ) and the ledger (ClickHouse or the accruals
 * worker). Each source is read on its own and reports itself down, so one being away never hides
 * the others. Snapshots are shared: every page polling within `maxAgeMs` gets the same one, and at
 * most one read is in flight, so ten open tabs cost what one does.
 */
import type { Contract } from '@cxg/engine';
import { statementWire } from '@cxg/ledger';
import type { WorkerName } from '@cxg/platform';
import { readKpiStatus, type KpiStatus } from './kpi-status.ts';
import type { LedgerStatus } from './ledger-status.ts';
import { readPipeline, type WorkerStatus } from './pipeline-status.ts';

export interface StatusSources {
  redisUrl: string;
  kpiPrefix: string;
  contracts: readonly Contract[];
  /** Each worker's metrics base URL, http://host:port. */
  workers: Readonly<Record<WorkerName, string>>;
  ledger: { read(): Promise<LedgerStatus> };
}

export interface Status {
  /** When this snapshot was read (this machine's clock: only shown as "refreshed at"). */
  read_at: string;
  kpis: KpiStatus;
  pipeline: WorkerStatus[];
  ledger: LedgerStatus;
}

export async function readStatus(src: StatusSources): Promise<Status> {
  const [kpis, pipeline] = await Promise.all([readKpiStatus(src.redisUrl, src.kpiPrefix, src.contracts), readPipeline(src.workers)]);
  // After the network reads, not beside them: embedded chdb runs its queries on this thread, and
  // while it opens a directory the sockets of the others would sit unread into their timeouts.
  const ledger = await src.ledger.read();
  return { read_at: new Date().toISOString(), kpis, pipeline, ledger };
}

/** Which source is up, by name: `redis`, each worker, `ledger`. */
export function sourcesUp(s: Status): Record<string, { up: boolean; error: string | null }> {
  const out: Record<string, { up: boolean; error: string | null }> = {};
  out.redis = { up: s.kpis.up, error: s.kpis.up ? null : s.kpis.error };
  for (const w of s.pipeline) out[w.worker] = { up: w.up, error: w.error };
  out.ledger = { up: s.ledger.up, error: s.ledger.up ? null : s.ledger.error };
  return out;
}

/** The snapshot as plain JSON values: each statement as `cxg statement --format json` prints it (statementWire). */
export function statusJson(s: Status): unknown {
  const ledger = s.ledger.up ? { ...s.ledger, contracts: s.ledger.contracts.map((c) => ({ ...c, statement: c.statement === null ? null : statementWire(c.statement) })) } : s.ledger;
  return { read_at: s.read_at, sources: sourcesUp(s), kpis: s.kpis, pipeline: s.pipeline, ledger };
}

/** Snapshots no older than `maxAgeMs`, one read at a time. */
export class StatusCache {
  private last: { at: number; status: Status } | null = null;
  private reading: Promise<Status> | null = null;

  constructor(
    private readonly read: () => Promise<Status>,
    private readonly maxAgeMs: number,
  ) {}

  get(): Promise<Status> {
    if (this.last !== null && Date.now() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last.status);
    this.reading ??= this.read()
      .then((status) => {
        this.last = { at: Date.now(), status };
        return status;
      })
      .finally(() => (this.reading = null));
    return this.reading;
  }
}
