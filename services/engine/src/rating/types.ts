import type { Channel } from '../events.generated.ts';

/** A non-negative integer: a safe-integer number, or a bigint for large sums. */
export type Count = number | bigint;

/** Daily lines (docs/accruals.md, "Daily lines"), in the order rateDay emits them. */
const DAILY_LINE_TYPES = [
  'contact_fee',
  'minute_fee',
  'gainshare_repeat',
  'gainshare_switch',
  'customer_fee',
  'won_customer_bonus',
  'upsell_commission',
] as const;
export type DailyLineType = (typeof DAILY_LINE_TYPES)[number];

/** Month-close lines (quantity 0), dated the last day of the month inside validity. */
export const MONTH_CLOSE_LINE_TYPES = ['gainshare_cap', 'gainshare_quality_gate', 'customer_fee_malus', 'customer_floor_malus'] as const;
export type MonthCloseLineType = (typeof MONTH_CLOSE_LINE_TYPES)[number];

export const LINE_TYPES = [...DAILY_LINE_TYPES, ...MONTH_CLOSE_LINE_TYPES] as const;
export type LineType = DailyLineType | MonthCloseLineType;

export type BasisValue = string | number | boolean | null | BasisValue[] | { [key: string]: BasisValue };
export type Basis = { [key: string]: BasisValue };

/**
 * One ledger line. `status` and `version` are added by the caller (they depend on the
 * watermark). Money is `amount_cents`, an exact bigint checked to fit the signed 64-bit range
 * (the ledger's Int64 column); `quantity` is exact decimal text with 4 decimals (`"12.0000"`),
 * checked to fit the ledger's Decimal(38, 4). Neither ever passes through a double: write them
 * to JSON with `exactJson` and to ClickHouse as text.
 */
export interface AccrualLine {
  /** `<contract_id>:<date>:<line_type>:<channel or ->`: the same line of a re-rated day keeps its id */
  accrual_id: string;
  contract_id: string;
  provider_id: string;
  /** local date `YYYY-MM-DD` in the contract's zone */
  date: string;
  line_type: LineType;
  channel: Channel | null;
  quantity: string;
  amount_cents: bigint;
  currency: string;
  /** the counts and rates used, so finance can retrace the line; decimals as exact text */
  basis: Basis;
}

/** Answered contacts of the provider in one channel with `ended_at` in D. */
export interface ChannelDayAggregate {
  answered: Count;
  /** Σ (ended_at − answered_at) of those contacts, ms */
  handle_ms: Count;
}

/**
 * What rateDay needs for contract k (provider p) and local day D; "in D" means
 * `[startOfLocalDay(D), endOfLocalDay(D))` in k's zone. The accruals worker computes these
 * with SQL, replay in memory.
 */
export interface DayAggregates {
  date: string;
  /** per channel, ALL answered contacts of p with `ended_at` in D (any intent, any channel: the
   * repeat gainshare counts all of them); a missing channel means none */
  contacts: Partial<Record<Channel, ChannelDayAggregate>>;
  /** Σ sale_cents of answered contacts of p with `ended_at` in D */
  sale_cents: Count;
  /** REPEAT_CONTACT signals with prior_provider_id = p and contact_ended_at in D */
  repeats: Count;
  /** journeys with a customer_id, an outcome in the switch outcomes, family in k's scope, ended_at in D */
  failed_journeys: Count;
  /** CHANNEL_SWITCH signals (any provider's contact) with intent_family in k's scope, contact_ended_at in D */
  switches: Count;
  /** customers whose latest CustomerEvent before the end of D is ACTIVATED with provider_id = p */
  active_customers: Count;
  /** ACTIVATED events of p with won_by_provider, occurred_at in D */
  won_activations: Count;
}
