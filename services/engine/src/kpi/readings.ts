/**
 * KPI values together with their sample (the denominator in docs/kpis.md), so every
 * consumer (metrics, /kpis, `cxg kpis`, alerts) shows a number with the evidence behind it.
 * Values come from rating/kpis.ts; this module only pairs them with samples.
 */
import { PROVIDER_KPIS, WEB_KPIS, kpiValues, toCount, webKpiValues, type KpiCounters, type ProviderKpi, type WebKpi, type WebKpiCounters } from '../rating/kpis.ts';
import type { KpiCounterName, WebCounterName } from './increments.ts';
import type { CounterSet } from './fields.ts';
import { ALL } from './increments.ts';

export const KPI_SAMPLE: Readonly<Record<ProviderKpi, KpiCounterName>> = {
  abandon_rate: 'offered',
  service_level: 'phone_offered',
  aht_seconds: 'answered',
  repeat_rate: 'answered',
  fcr_rate: 'answered',
  csat_top2: 'csat_count',
  csat_avg: 'csat_count',
  switch_share: 'answered_phone',
  sales_per_contact_cents: 'answered',
};

const WEB_KPI_SAMPLE: Readonly<Record<WebKpi, WebCounterName>> = {
  self_service_success_rate: 'journeys',
  web_to_phone_rate: 'identified_switch_outcome_journeys',
};

export interface KpiReading {
  /** null when the sample is 0 */
  value: number | null;
  sample: number;
}

const count = (v: number | bigint, name: string): number => Number(toCount(v, name));

export function providerReadings(c: KpiCounters): Record<ProviderKpi, KpiReading> {
  const values = kpiValues(c);
  const out = {} as Record<ProviderKpi, KpiReading>;
  for (const k of PROVIDER_KPIS) out[k] = { value: values[k], sample: count(c[KPI_SAMPLE[k]], KPI_SAMPLE[k]) };
  return out;
}

function webReadings(c: WebKpiCounters): Record<WebKpi, KpiReading> {
  const values = webKpiValues(c);
  const out = {} as Record<WebKpi, KpiReading>;
  for (const k of WEB_KPIS) out[k] = { value: values[k], sample: count(c[WEB_KPI_SAMPLE[k]], WEB_KPI_SAMPLE[k]) };
  return out;
}

export interface KpiTable {
  providers: Record<string, Record<ProviderKpi, KpiReading>>;
  web: Record<string, Record<WebKpi, KpiReading>>;
}

/** `all` first, then by name, so tables and JSON read the same on every run. */
function sortedKeys(keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => (a === ALL ? -1 : b === ALL ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

/** Readings of every provider and family in a counter set; `provider` keeps one provider row. */
export function kpiTable(set: CounterSet, provider?: string): KpiTable {
  const providers: KpiTable['providers'] = {};
  for (const p of sortedKeys(set.providers.keys())) {
    if (provider === undefined || p === provider) providers[p] = providerReadings(set.providers.get(p)!);
  }
  const web: KpiTable['web'] = {};
  for (const f of sortedKeys(set.web.keys())) web[f] = webReadings(set.web.get(f)!);
  return { providers, web };
}
