import { KPI_WINDOWS, kpiTable, type KpiTable, type KpiWindow } from '@cxg/engine';
import type { WindowCounters } from './reader.ts';

/** What /kpis and `cxg kpis --json` answer: every KPI with its sample, per window. */
export interface KpisDocument {
  /** The store's watermark (greatest event time applied), epoch ms; null before any data. */
  watermark: number | null;
  watermark_iso: string | null;
  /** Partitions whose state is being rebuilt after Redis lost it: until empty, the counters are partial. */
  rebuilding_partitions: number[];
  windows: Partial<Record<KpiWindow, KpiTable>>;
}

export function kpisDocument(counters: WindowCounters | null, opts: { windows: readonly KpiWindow[]; provider?: string }): KpisDocument {
  const windows: KpisDocument['windows'] = {};
  for (const w of opts.windows) {
    const set = counters?.windows.get(w);
    windows[w] = set ? kpiTable(set, opts.provider) : { providers: {}, web: {} };
  }
  const wm = counters?.watermarkMs ?? null;
  return { watermark: wm, watermark_iso: wm === null ? null : new Date(wm).toISOString(), rebuilding_partitions: counters?.rebuilding ?? [], windows };
}

/** `1h`, `24h`, `7d`, or `all`/absent for every window; anything else is a user error. */
export function parseWindows(w: string | null | undefined): KpiWindow[] | null {
  if (w === null || w === undefined || w === '' || w === 'all') return [...KPI_WINDOWS];
  return (KPI_WINDOWS as readonly string[]).includes(w) ? [w as KpiWindow] : null;
}
