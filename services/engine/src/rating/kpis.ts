/**
 * KPI formulas of docs/kpis.md as pure functions over counters. The KPI worker sums its
 * minute/hour buckets into `KpiCounters` and calls these; month-close gates call them over a
 * month's counters. A KPI whose denominator is 0 is null.
 */
import { Decimal } from '../money/decimal.ts';

/** Per-provider KPIs: the only ones usable in quality gates and `kpi_thresholds`. */
export const PROVIDER_KPIS = [
  'abandon_rate',
  'service_level',
  'aht_seconds',
  'repeat_rate',
  'fcr_rate',
  'csat_top2',
  'csat_avg',
  'switch_share',
  'sales_per_contact_cents',
] as const;
export type ProviderKpi = (typeof PROVIDER_KPIS)[number];

/** Web KPIs are per journey intent family, not per provider, so no contract can gate on them. */
export const WEB_KPIS = ['self_service_success_rate', 'web_to_phone_rate'] as const;
export type WebKpi = (typeof WEB_KPIS)[number];

/** KPIs whose value is a share in [0, 1] (fcr_rate can in theory go below 0, its bounds still live in [0, 1]). */
export const RATE_KPIS: readonly ProviderKpi[] = ['abandon_rate', 'service_level', 'repeat_rate', 'fcr_rate', 'csat_top2', 'switch_share'];

export function isProviderKpi(name: string): name is ProviderKpi {
  return (PROVIDER_KPIS as readonly string[]).includes(name);
}

/**
 * Counters for one provider over some time range (contacts by `ended_at`, signals by
 * `contact_ended_at`). Integers: numbers must be safe integers; bigint is accepted for sums.
 */
export interface KpiCounters {
  /** all contacts of the provider, answered or not */
  offered: number | bigint;
  answered: number | bigint;
  abandoned: number | bigint;
  /** PHONE contacts offered (answered or abandoned) */
  phone_offered: number | bigint;
  /** PHONE contacts answered with wait ≤ service_level_seconds (inclusive) */
  phone_within_sl: number | bigint;
  /** PHONE contacts answered */
  answered_phone: number | bigint;
  /** Σ (ended_at − answered_at) over answered contacts, ms */
  handle_ms: number | bigint;
  /** answered contacts with a csat */
  csat_count: number | bigint;
  /** answered contacts with csat ≥ 4 */
  csat_top2: number | bigint;
  /** Σ csat over those */
  csat_sum: number | bigint;
  /** REPEAT_CONTACT signals whose prior_provider_id is the provider */
  repeats: number | bigint;
  /** CHANNEL_SWITCH signals on the provider's contacts (contact_provider_id) */
  switches: number | bigint;
  /** Σ sale_cents of answered contacts */
  sale_cents: number | bigint;
}

export interface WebKpiCounters {
  journeys: number | bigint;
  completed: number | bigint;
  /** journeys with a customer_id and an outcome in the switch outcomes */
  identified_switch_outcome_journeys: number | bigint;
  /** CHANNEL_SWITCH signals */
  switches: number | bigint;
}

export type KpiValues<K extends string, V> = Record<K, V | null>;

/** A counter as bigint, refusing negatives and non-integers (a bug upstream, never data). */
export function toCount(v: number | bigint, name: string): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`${name} must be a safe integer (got ${v})`);
  const b = BigInt(v);
  if (b < 0n) throw new RangeError(`${name} must be >= 0 (got ${v})`);
  return b;
}

function ratio(num: bigint, den: bigint): Decimal | null {
  return den === 0n ? null : Decimal.ratio(num, den);
}

export function emptyKpiCounters(): KpiCounters {
  return {
    offered: 0,
    answered: 0,
    abandoned: 0,
    phone_offered: 0,
    phone_within_sl: 0,
    answered_phone: 0,
    handle_ms: 0,
    csat_count: 0,
    csat_top2: 0,
    csat_sum: 0,
    repeats: 0,
    switches: 0,
    sale_cents: 0,
  };
}

/** Field-wise sum, e.g. of buckets; stays a number while safe. */
export function addKpiCounters(a: KpiCounters, b: KpiCounters): KpiCounters {
  const out = emptyKpiCounters();
  for (const k of Object.keys(out) as (keyof KpiCounters)[]) {
    const s = toCount(a[k], k) + toCount(b[k], k);
    out[k] = s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
  }
  return out;
}

/** Exact KPI values (gates compare these with the contract's decimal bounds). */
export function kpiExact(c: KpiCounters): KpiValues<ProviderKpi, Decimal> {
  const n = (k: keyof KpiCounters): bigint => toCount(c[k], k);
  const answered = n('answered');
  const repeatRate = ratio(n('repeats'), answered);
  return {
    abandon_rate: ratio(n('abandoned'), n('offered')),
    service_level: ratio(n('phone_within_sl'), n('phone_offered')),
    aht_seconds: answered === 0n ? null : Decimal.ratio(n('handle_ms'), answered * 1000n),
    repeat_rate: repeatRate,
    fcr_rate: repeatRate === null ? null : Decimal.ONE.sub(repeatRate),
    csat_top2: ratio(n('csat_top2'), n('csat_count')),
    csat_avg: ratio(n('csat_sum'), n('csat_count')),
    switch_share: ratio(n('switches'), n('answered_phone')),
    sales_per_contact_cents: ratio(n('sale_cents'), answered),
  };
}

function toNumbers<K extends string>(v: KpiValues<K, Decimal>): KpiValues<K, number> {
  const out = {} as KpiValues<K, number>;
  for (const k of Object.keys(v) as K[]) out[k] = v[k]?.toNumber() ?? null;
  return out;
}

/** KPI values as numbers, for metrics, Redis and reports (never for money). */
export function kpiValues(c: KpiCounters): KpiValues<ProviderKpi, number> {
  return toNumbers(kpiExact(c));
}

function webKpiExact(c: WebKpiCounters): KpiValues<WebKpi, Decimal> {
  return {
    self_service_success_rate: ratio(toCount(c.completed, 'completed'), toCount(c.journeys, 'journeys')),
    web_to_phone_rate: ratio(
      toCount(c.switches, 'switches'),
      toCount(c.identified_switch_outcome_journeys, 'identified_switch_outcome_journeys'),
    ),
  };
}

export function webKpiValues(c: WebKpiCounters): KpiValues<WebKpi, number> {
  return toNumbers(webKpiExact(c));
}
