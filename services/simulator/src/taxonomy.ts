// The intent taxonomy shared by contacts and web journeys (docs/events.md: lowercase dotted codes,
// family = the part before the first dot), with the per-family behaviour the traffic model uses.

export interface IntentFamily {
  readonly family: string;
  readonly intents: readonly string[];
  /** Share of customer issues in this family. */
  readonly weight: number;
  /** Share of anonymous web journeys in this family (browsing skews to tariffs and devices). */
  readonly anonWeight: number;
  /** Probability that a customer tries self-service before any assisted contact. */
  readonly webFirst: number;
  /** Journey outcome probabilities; the rest COMPLETED. */
  readonly webFailed: number;
  readonly webAbandoned: number;
  /** Multiplies the channel's handle-time median. */
  readonly ahtFactor: number;
  /** Sales happen mostly in tariff, contract and device conversations. */
  readonly salesProne: boolean;
}

export const FAMILIES: readonly IntentFamily[] = [
  {
    family: 'billing',
    intents: ['invoice_question', 'payment_failed', 'refund_request', 'direct_debit_change', 'dunning_notice'],
    weight: 0.28, anonWeight: 0.15, webFirst: 0.45, webFailed: 0.08, webAbandoned: 0.14, ahtFactor: 1.0, salesProne: false,
  },
  {
    family: 'tech',
    intents: ['no_signal', 'slow_internet', 'router_setup', 'sim_activation', 'outage_report'],
    weight: 0.26, anonWeight: 0.05, webFirst: 0.35, webFailed: 0.2, webAbandoned: 0.18, ahtFactor: 1.25, salesProne: false,
  },
  {
    family: 'tariff',
    intents: ['change_plan', 'roaming_options', 'data_addon', 'price_inquiry'],
    weight: 0.16, anonWeight: 0.35, webFirst: 0.5, webFailed: 0.07, webAbandoned: 0.22, ahtFactor: 1.05, salesProne: true,
  },
  {
    family: 'contract',
    intents: ['cancellation', 'extension', 'address_change', 'owner_change'],
    weight: 0.12, anonWeight: 0.1, webFirst: 0.3, webFailed: 0.12, webAbandoned: 0.24, ahtFactor: 1.15, salesProne: true,
  },
  {
    family: 'device',
    intents: ['order_status', 'repair_request', 'return_device'],
    weight: 0.09, anonWeight: 0.2, webFirst: 0.4, webFailed: 0.06, webAbandoned: 0.15, ahtFactor: 0.9, salesProne: true,
  },
  {
    family: 'account',
    intents: ['password_reset', 'login_problem', 'personal_data'],
    weight: 0.09, anonWeight: 0.15, webFirst: 0.6, webFailed: 0.15, webAbandoned: 0.1, ahtFactor: 0.8, salesProne: false,
  },
];

export function intentCode(family: IntentFamily, intent: string): string {
  return `${family.family}.${intent}`;
}

/** Journey funnel steps; a COMPLETED journey ends on the last one. */
export const JOURNEY_STEPS = ['landing', 'identify', 'select', 'details', 'review', 'confirm'] as const;

export const JOURNEY_ERROR_CODES = ['E_TIMEOUT', 'E_BACKEND_5XX', 'E_VALIDATION', 'E_AUTH_FAILED', 'E_PAYMENT_DECLINED'] as const;
