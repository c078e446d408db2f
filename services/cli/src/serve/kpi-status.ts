/**
 * The live KPIs for the status page, read from the Redis the kpi worker writes with the code of
 * `cxg kpis` (connectKpiReader, kpisDocument: the page's `kpis` is `cxg kpis --window all --json`),
 * and each provider's thresholds of the contract valid at the store's watermark with the alert
 * state the worker stored for it (docs/kpis.md, "Alerts").
 */
import { KPI_WINDOWS, activeThresholds, type Contract } from '@cxg/engine';
import { redactUrl } from '@cxg/platform';
import { connectKpiReader, kpisDocument, type KpisDocument } from '@cxg/kpi';

export interface ThresholdStatus {
  contract_id: string;
  provider_id: string;
  kpi: string;
  window: string;
  /** The bound as the YAML's exact decimal; one of min/max is set. */
  min: string | null;
  max: string | null;
  min_samples: number;
  clear_margin: string;
  /** The stored alert state; OK when the worker never moved it. */
  state: 'OK' | 'BREACHED';
  /** Transitions so far (the alert's sequence number). */
  transitions: number;
  /** The KPI's current value and sample over the threshold's window (null value: no sample). */
  value: number | null;
  sample: number;
}

export type KpiStatus =
  | { up: true; prefix: string; kpis: KpisDocument; thresholds: ThresholdStatus[] }
  | { up: false; prefix: string; error: string };

/** One read of Redis at `redisUrl` under the kpi worker's `prefix`; Redis away is `up: false`, never a throw. */
export async function readKpiStatus(redisUrl: string, prefix: string, contracts: readonly Contract[]): Promise<KpiStatus> {
  let connection: Awaited<ReturnType<typeof connectKpiReader>>;
  try {
    connection = await connectKpiReader(redisUrl, prefix);
  } catch (err) {
    return { up: false, prefix, error: (err as Error).message.split(redisUrl).join(redactUrl(redisUrl)) };
  }
  try {
    const counters = await connection.reader.read(KPI_WINDOWS);
    const kpis = kpisDocument(counters, { windows: KPI_WINDOWS });
    const thresholds: ThresholdStatus[] = [];
    if (counters !== null) {
      const memory = await connection.alerts.memory();
      for (const { contract, threshold: t, key } of activeThresholds(contracts, counters.watermarkMs)) {
        const reading = kpis.windows[t.window]?.providers[contract.provider_id]?.[t.kpi];
        const m = memory.get(key);
        thresholds.push({
          contract_id: contract.id,
          provider_id: contract.provider_id,
          kpi: t.kpi,
          window: t.window,
          min: t.min?.toString() ?? null,
          max: t.max?.toString() ?? null,
          min_samples: t.min_samples,
          clear_margin: t.clear_margin.toString(),
          state: m?.state ?? 'OK',
          transitions: m?.seq ?? 0,
          value: reading?.value ?? null,
          sample: reading?.sample ?? 0,
        });
      }
    }
    return { up: true, prefix, kpis, thresholds };
  } catch (err) {
    return { up: false, prefix, error: `Redis at ${redactUrl(redisUrl)}: ${(err as Error).message}` };
  } finally {
    connection.close();
  }
}
