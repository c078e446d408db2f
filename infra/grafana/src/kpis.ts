// The provider KPIs (docs/kpis.md) as the boards draw them, and each contract's bounds on them from
// the contracts YAML (config/contracts.yaml): alert thresholds in red, monthly gates in orange.
import type { Threshold } from '@grafana/grafana-foundation-sdk/dashboard';
import { EUR, GREEN, ORANGE, RED, SHARE, type Axis } from './blocks.ts';

export interface KpiMeta extends Axis {
  title: string;
  help: string;
  /** shown divided by this (cents as currency units) */
  scale?: number;
}

export const KPIS: Record<string, KpiMeta> = {
  abandon_rate: { title: 'Abandon rate', ...SHARE, help: 'abandoned / offered contacts' },
  service_level: { title: 'Service level', ...SHARE, help: 'PHONE contacts answered within the service level seconds / PHONE offered' },
  aht_seconds: { title: 'Average handle time', unit: 's', min: 0, help: 'handle time / answered contacts' },
  repeat_rate: { title: 'Repeat rate', ...SHARE, help: 'REPEAT_CONTACT signals charged to the provider / answered contacts' },
  fcr_rate: { title: 'First contact resolution', ...SHARE, help: '1 - repeat rate' },
  csat_top2: { title: 'CSAT top-2 box', ...SHARE, help: 'answered contacts with csat >= 4 / csat responses' },
  csat_avg: { title: 'CSAT average', unit: 'none', min: 1, max: 5, decimals: 2, help: 'mean csat (1..5)' },
  switch_share: { title: 'Channel switch share', ...SHARE, help: "CHANNEL_SWITCH signals on the provider's contacts / answered PHONE contacts" },
  sales_per_contact_cents: { title: 'Sales per contact', unit: EUR, min: 0, scale: 100, help: 'sale amount / answered contacts (shown in currency units: cents / 100)' },
};

/** PromQL for one KPI series, scaled to display units. */
export function kpiExpr(selector: string, kpi: string): string {
  const scale = KPIS[kpi]?.scale;
  return scale ? `cx_kpi{${selector}} / ${scale}` : `cx_kpi{${selector}}`;
}

/** One bound of a contract on a KPI, as the contracts YAML writes it. */
export interface Bound {
  kind: string;
  min?: number;
  max?: number;
  window?: string;
  min_samples?: number;
  clear_margin?: number;
}

/**
 * Threshold steps (colors by value band) for a KPI from its bounds: red where an alert bound
 * (kpi_thresholds) is violated, orange where only a monthly gate (quality_gate, quality_malus) is.
 */
export function boundSteps(bounds: Bound[], scale = 1): Threshold[] {
  const cuts = [...new Set(bounds.map((b) => (b.min ?? b.max)! / scale))].sort((a, b) => a - b);
  if (!cuts.length) return [{ value: null, color: GREEN }];
  const violates = (v: number, b: Bound) => (b.min !== undefined ? v < b.min / scale : v > b.max! / scale);
  const colorAt = (v: number) => (bounds.some((b) => b.kind === 'alert' && violates(v, b)) ? RED : bounds.some((b) => violates(v, b)) ? ORANGE : GREEN);
  const first = cuts[0]!;
  const reps = [first - Math.abs(first) - 1, ...cuts.map((c, i) => (i + 1 < cuts.length ? (c + cuts[i + 1]!) / 2 : c + Math.abs(c) + 1))];
  const steps: Threshold[] = [{ value: null, color: colorAt(reps[0]!) }];
  cuts.forEach((c, i) => {
    const color = colorAt(reps[i + 1]!);
    if (color !== steps[steps.length - 1]!.color) steps.push({ value: c, color });
  });
  return steps;
}

export function describeBound(b: Bound): string {
  const fails = b.min !== undefined ? `below ${b.min}` : `above ${b.max}`;
  if (b.kind === 'alert') {
    return `alert (kpi_thresholds) when ${fails} on the ${b.window} window with at least ${b.min_samples ?? 1} samples; clears ${b.clear_margin ?? 0} inside the bound (red)`;
  }
  return `${b.kind} fails when ${fails} over the calendar month (orange)`;
}

/** The part of the contracts YAML the boards read (the workers validate the whole file). */
export interface ContractsYaml {
  contracts?: Array<{
    id: string;
    provider_id: string;
    valid_from: string;
    valid_to: string;
    kpi_thresholds?: Array<Omit<Bound, 'kind'> & { kpi: string }>;
    gainshare?: { quality_gate?: Array<{ kpi: string; min?: number; max?: number }> };
    per_customer?: { quality_malus?: { pct: number; gate?: Array<{ kpi: string; min?: number; max?: number }> } };
  }>;
}

export interface ContractBounds {
  contract: string;
  provider: string;
  validFrom: string;
  validTo: string;
  byKpi: Map<string, Bound[]>;
}

/** Bounds per provider and KPI from the contracts config. */
export function contractBounds(config: ContractsYaml): ContractBounds[] {
  return (config.contracts ?? []).map((c) => {
    const byKpi = new Map<string, Bound[]>();
    const push = (kpi: string, b: Bound) => byKpi.set(kpi, [...(byKpi.get(kpi) ?? []), b]);
    for (const { kpi, ...t } of c.kpi_thresholds ?? []) push(kpi, { kind: 'alert', ...t });
    for (const { kpi, ...g } of c.gainshare?.quality_gate ?? []) push(kpi, { kind: 'gainshare quality gate', ...g });
    const malus = c.per_customer?.quality_malus;
    for (const { kpi, ...g } of malus?.gate ?? []) push(kpi, { kind: `customer fee malus gate (-${malus!.pct} %)`, ...g });
    return { contract: c.id, provider: c.provider_id, validFrom: c.valid_from, validTo: c.valid_to, byKpi };
  });
}
