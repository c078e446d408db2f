// Every numeric knob of the traffic model in one place, so the documentation can quote it.
// Durations are milliseconds; "lognormal" = {median, sigma of the underlying normal}.
import type { Channel } from '@cxg/engine';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;

export interface Lognormal {
  readonly median: number;
  readonly sigma: number;
  readonly min: number;
  readonly max: number;
}

export interface ChannelParams {
  /** Share of direct (not web-first) assisted contacts. */
  readonly mix: number;
  /** started_at → answered_at; the provider's waitScale multiplies the median. */
  readonly wait: Lognormal;
  /** Customers give up after an exponential patience; abandoned when patience < wait. */
  readonly patienceMean: number;
  /** answered_at → ended_at; provider ahtScale and family ahtFactor multiply the median. */
  readonly handle: Lognormal;
  /** Probability that an answered contact gets a survey answer. */
  readonly csatResponse: number;
  /** Multiplies the sale probability. */
  readonly salesFactor: number;
}

// Waits and handles are capped so no record spans more than 24 h (docs/events.md).
export const CHANNELS: Readonly<Record<Channel, ChannelParams>> = {
  PHONE: {
    mix: 0.55,
    wait: { median: 12 * S, sigma: 1.1, min: 1 * S, max: 30 * MIN },
    patienceMean: 400 * S,
    handle: { median: 290 * S, sigma: 0.55, min: 20 * S, max: 2 * H },
    csatResponse: 0.22,
    salesFactor: 1,
  },
  CHAT: {
    mix: 0.2,
    wait: { median: 25 * S, sigma: 1.0, min: 2 * S, max: 30 * MIN },
    patienceMean: 600 * S,
    handle: { median: 420 * S, sigma: 0.5, min: 30 * S, max: 2 * H },
    csatResponse: 0.35,
    salesFactor: 0.8,
  },
  EMAIL: {
    mix: 0.15,
    wait: { median: 3 * H, sigma: 0.9, min: 5 * MIN, max: 20 * H },
    patienceMean: 400 * H,
    handle: { median: 200 * S, sigma: 0.6, min: 30 * S, max: 1 * H },
    csatResponse: 0.12,
    salesFactor: 0.3,
  },
  MESSAGING: {
    mix: 0.1,
    wait: { median: 6 * MIN, sigma: 1.0, min: 10 * S, max: 8 * H },
    patienceMean: 6 * H,
    handle: { median: 600 * S, sigma: 0.7, min: 30 * S, max: 3 * H },
    csatResponse: 0.25,
    salesFactor: 0.8,
  },
};

export const TRAFFIC = {
  /** Default new customer issues per active customer per day (before daily and weekly pattern). */
  issueRate: 0.05,
  /** Anonymous web journeys per customer per day. */
  anonJourneyRate: 0.02,
  /** Share of contacts routed to the customer's portfolio provider; the rest overflow. */
  portfolioRouting: 0.9,
  /** After an abandoned contact the customer tries again, soon. */
  retryAfterAbandon: 0.6,
  retryGap: { median: 10 * MIN, sigma: 0.8, min: 1 * MIN, max: 4 * H },
  /** Follow-up PHONE call after a journey of a switch outcome, same family, within hours. */
  followUp: { FAILED: 0.6, ABANDONED: 0.35 } as const,
  followUpGap: { median: 40 * MIN, sigma: 1.0, min: 2 * MIN, max: 20 * H },
  /** A follow-up keeps the exact intent this often, else a sibling intent of the family. */
  sameIntent: 0.8,
  /** Unresolved issue: the customer comes back with the same family after this gap. */
  repeatGap: { median: 18 * H, sigma: 1.1, min: 10 * MIN, max: 10 * D },
  /** A repeat comes back on the same channel this often, else from the channel mix. */
  repeatSameChannel: 0.6,
  /** Each further contact of the same issue is this much less likely to repeat again. */
  repeatDecay: 0.8,
  /** Assisted contacts per issue at most (retries after abandon included). */
  maxContactsPerIssue: 6,
  journeyDuration: { median: 4 * MIN, sigma: 0.7, min: 20 * S, max: 2 * H },
  /** Contacts of a customer start this long after the activation at the earliest. */
  activationLead: 5 * MIN,
} as const;

export const OUTCOMES = {
  /** Outcome an agent books when the issue will come back (agents often claim RESOLVED anyway). */
  willRepeat: [['UNRESOLVED', 0.45], ['TRANSFERRED', 0.2], ['RESOLVED', 0.35]] as const,
  resolved: [['RESOLVED', 0.9], ['TRANSFERRED', 0.06], ['UNRESOLVED', 0.04]] as const,
  /** CSAT 1..5 weights. */
  csatResolved: [0.03, 0.04, 0.1, 0.33, 0.5] as const,
  csatUnresolved: [0.2, 0.2, 0.25, 0.2, 0.15] as const,
  /** Sale probability per answered contact before channel and provider factors. */
  saleProne: 0.1,
  saleOther: 0.02,
  saleCents: [[499, 0.2], [999, 0.3], [1499, 0.2], [2499, 0.15], [4999, 0.1], [9999, 0.05]] as const,
} as const;

export const LIFECYCLE = {
  /** Share of customers activated at the start (a CRM bulk load in the first 10 minutes). */
  baseShare: 0.97,
  baseLoadSpan: 10 * MIN,
  /** New customers (the rest) are activated evenly over the days; this share is won by a provider. */
  newWonByProvider: 0.4,
  /** Per active customer per day. */
  churn: 0.0004,
  move: 0.0006,
  /** A moved customer's ACTIVATED at the new provider follows the DEACTIVATED by this much. */
  moveGap: 1 * S,
  moveWonByProvider: 0.2,
} as const;

/** Records reach the topic a little after their event time: max < 2 min allowed lateness. */
export const ARRIVAL_DELAY = [
  [0.9, 0, 3 * S],
  [0.09, 3 * S, 20 * S],
  [0.01, 20 * S, 75 * S],
] as const;

/** Traffic per local hour of day (0..23) and per weekday (0 = Sunday). */
export const HOUR_WEIGHTS = [
  0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.6, 1.5, 4, 6.5, 7, 7, 6, 6.5, 7, 6.5, 6, 5, 4, 3, 2.5, 1.8, 1, 0.6,
] as const;
export const WEEKDAY_FACTORS = [0.35, 1, 1, 1, 1, 1, 0.6] as const;

export const TIME = { S, MIN, H, D } as const;
