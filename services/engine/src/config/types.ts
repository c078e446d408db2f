/**
 * The validated contracts configuration (docs/contracts.md). Keys mirror the YAML in snake_case
 * so a field path in an error message reads the same in the file and in code; durations are
 * converted to ms and renamed `*_ms`; every rate, share, pct and KPI bound is an exact
 * `Decimal`; cents are safe non-negative integers. Optional blocks absent in the file are
 * `null` (never undefined), defaults are applied.
 */
import type { Channel, JourneyOutcome } from '../events.generated.ts';
import type { Decimal } from '../money/decimal.ts';
import type { ProviderKpi } from '../rating/kpis.ts';

export const DEFAULT_CURRENCY = 'EUR';
export const DEFAULT_SERVICE_LEVEL_SECONDS = 20;

export const THRESHOLD_WINDOWS = ['1h', '24h', '7d'] as const;
export type ThresholdWindow = (typeof THRESHOLD_WINDOWS)[number];

export interface DetectionConfig {
  repeat_window_ms: number;
  switch_window_ms: number;
  switch_outcomes: JourneyOutcome[];
  switch_to_channels: Channel[];
  match_intent_family: boolean;
  allowed_lateness_ms: number;
}

/** The detection defaults (docs/detection.md, "Settings"). */
export const DEFAULT_DETECTION_CONFIG: Readonly<DetectionConfig> = Object.freeze<DetectionConfig>({
  repeat_window_ms: 7 * 86_400_000,
  switch_window_ms: 24 * 3_600_000,
  switch_outcomes: ['ABANDONED', 'FAILED'],
  switch_to_channels: ['PHONE'],
  match_intent_family: true,
  allowed_lateness_ms: 2 * 60_000,
});

/** One quality-gate condition; exactly one of min/max is set. Passes iff value ≥ min / ≤ max. */
export interface KpiGate {
  kpi: ProviderKpi;
  min: Decimal | null;
  max: Decimal | null;
}

export interface KpiThreshold extends KpiGate {
  window: ThresholdWindow;
  min_samples: number;
  clear_margin: Decimal;
}

export type ChannelCents = Partial<Record<Channel, number>>;

export interface TransactionalTerms {
  per_contact_cents: ChannelCents;
  per_minute_cents: ChannelCents;
}

export interface GainshareTerms {
  cost_per_contact_cents: number;
  baseline: { repeat_rate: Decimal | null; switch_rate: Decimal | null };
  provider_share: Decimal;
  painshare: boolean;
  /** null: no limit */
  monthly_cap_cents: number | null;
  quality_gate: KpiGate[];
}

export interface PerCustomerTerms {
  monthly_fee_cents: number | null;
  won_customer_bonus_cents: number | null;
  quality_malus: { pct: Decimal; gate: KpiGate[] } | null;
  min_active_customers: number | null;
}

export interface Contract {
  id: string;
  provider_id: string;
  currency: string;
  /** inclusive local dates */
  valid_from: string;
  valid_to: string;
  /** the contract's own `timezone`, else the top-level one */
  timezone: string;
  /**
   * The first local date rated: the contract's own `ledger_start`, else the top-level one, else
   * null: the first local day with an accepted record of the provider (docs/accruals.md, "Where a ledger starts").
   */
  ledger_start: string | null;
  scope: { intent_families: string[] } | null;
  transactional: TransactionalTerms | null;
  gainshare: GainshareTerms | null;
  per_customer: PerCustomerTerms | null;
  upsell: { commission_pct: Decimal } | null;
  kpi_thresholds: KpiThreshold[];
}

export interface ContractsConfig {
  /** the file name it was read from, for messages */
  file: string;
  /** the file's text as read: the ledger versions configs by its hash (docs/accruals.md, "Config versions") */
  text: string;
  /** the required top-level zone (day boundaries of accruals) */
  timezone: string;
  detection: DetectionConfig;
  service_level_seconds: number;
  contracts: Contract[];
}
