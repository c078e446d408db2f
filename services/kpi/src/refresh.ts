import { KPI_WINDOWS, kpiTable } from '@cxg/engine';
import type { Logger } from '@cxg/platform';
import type { Alerter } from './alerts.ts';
import type { KpiMetrics } from './metrics.ts';
import type { KpiReader, WindowCounters } from './reader.ts';

/** Sets the KPI gauges from fresh counters; a KPI without sample has no series (Prometheus has no null). */
export function publishGauges(metrics: KpiMetrics, counters: WindowCounters): void {
  // reset + set without an await in between: a scrape never sees a half-filled set.
  metrics.kpi.reset();
  metrics.kpiSample.reset();
  metrics.webKpi.reset();
  metrics.webKpiSample.reset();
  metrics.watermark.set(counters.watermarkMs / 1000);
  for (const [window, set] of counters.windows) {
    const table = kpiTable(set);
    for (const [provider, readings] of Object.entries(table.providers)) {
      for (const [kpi, r] of Object.entries(readings)) {
        metrics.kpiSample.set({ provider, kpi, window }, r.sample);
        if (r.value !== null) metrics.kpi.set({ provider, kpi, window }, r.value);
      }
    }
    for (const [family, readings] of Object.entries(table.web)) {
      for (const [kpi, r] of Object.entries(readings)) {
        metrics.webKpiSample.set({ family, kpi, window }, r.sample);
        if (r.value !== null) metrics.webKpi.set({ family, kpi, window }, r.value);
      }
    }
  }
}

export interface RefresherDeps {
  reader: KpiReader;
  metrics: KpiMetrics;
  alerter: Alerter;
  log: Logger;
  intervalMs: number;
}

/**
 * Every few seconds: read all windows from Redis, refresh the gauges, evaluate alerts. Off the
 * consumer's path, so a slow Redis read or alert send never delays offsets; runs never overlap.
 */
export class KpiRefresher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: RefresherDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.deps.intervalMs);
    void this.refresh();
  }

  /** One refresh; joins the one in flight instead of starting a second. */
  refresh(): Promise<void> {
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  private async run(): Promise<void> {
    try {
      const counters = await this.deps.reader.read(KPI_WINDOWS);
      if (counters === null) return;
      publishGauges(this.deps.metrics, counters);
      // Counters of a partition being rebuilt are partial: they would raise (and clear) false alerts.
      if (counters.rebuilding.length > 0) {
        this.deps.log.info({ partitions: counters.rebuilding }, 'state being rebuilt: alerts wait until it is complete');
        return;
      }
      await this.deps.alerter.evaluate(counters);
    } catch (err) {
      this.deps.log.error({ err }, 'kpi refresh failed; retrying on the next tick');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
