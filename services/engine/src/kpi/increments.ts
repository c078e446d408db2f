/**
 * The counter increments one event contributes (docs/kpis.md). Every provider increment is made
 * for the event's provider and for `all`; every web increment for the journey family and `all`.
 * Event time decides the bucket: contacts `ended_at`, signals `contact_ended_at`, journeys `ended_at`.
 */
import type { ContactEvent, JourneyOutcome, JourneySignal, WebJourneyEvent } from '../events.generated.ts';
import type { ContractsConfig } from '../config/types.ts';
import { family } from '../intent.ts';
import type { KpiCounters, WebKpiCounters } from '../rating/kpis.ts';

/** The aggregate row over every provider, and over every journey family. */
export const ALL = 'all';

export type KpiCounterName = keyof KpiCounters;
export type WebCounterName = keyof WebKpiCounters;

export const KPI_COUNTER_NAMES: readonly KpiCounterName[] = [
  'offered',
  'answered',
  'abandoned',
  'phone_offered',
  'phone_within_sl',
  'answered_phone',
  'handle_ms',
  'csat_count',
  'csat_top2',
  'csat_sum',
  'repeats',
  'switches',
  'sale_cents',
];
export const WEB_COUNTER_NAMES: readonly WebCounterName[] = ['journeys', 'completed', 'identified_switch_outcome_journeys', 'switches'];

export type KpiIncrement =
  | { scope: 'provider'; key: string; counter: KpiCounterName; by: number; at: number }
  | { scope: 'web'; key: string; counter: WebCounterName; by: number; at: number };

export interface KpiSettings {
  /** PHONE contacts answered within this wait (inclusive) meet the service level. */
  serviceLevelSeconds: number;
  /** Journeys with these outcomes (and a customer) are the denominator of web_to_phone_rate. */
  switchOutcomes: readonly JourneyOutcome[];
}

export function kpiSettingsOf(config: Pick<ContractsConfig, 'service_level_seconds' | 'detection'>): KpiSettings {
  return { serviceLevelSeconds: config.service_level_seconds, switchOutcomes: config.detection.switch_outcomes };
}

/** What the KPI worker counts: a contact, a signal or a web journey. */
export type KpiEvent =
  | { kind: 'contact'; event: ContactEvent }
  | { kind: 'signal'; event: JourneySignal }
  | { kind: 'journey'; event: WebJourneyEvent };

export function kpiEventTime(e: KpiEvent): number {
  return e.kind === 'signal' ? e.event.contact_ended_at : e.event.ended_at;
}

function forProvider(provider: string, at: number, deltas: Partial<Record<KpiCounterName, number>>): KpiIncrement[] {
  const out: KpiIncrement[] = [];
  for (const key of provider === ALL ? [ALL] : [provider, ALL]) {
    for (const [counter, by] of Object.entries(deltas) as [KpiCounterName, number][]) {
      if (by !== 0) out.push({ scope: 'provider', key, counter, by, at });
    }
  }
  return out;
}

function forFamily(fam: string, at: number, deltas: Partial<Record<WebCounterName, number>>): KpiIncrement[] {
  const out: KpiIncrement[] = [];
  for (const key of fam === ALL ? [ALL] : [fam, ALL]) {
    for (const [counter, by] of Object.entries(deltas) as [WebCounterName, number][]) {
      if (by !== 0) out.push({ scope: 'web', key, counter, by, at });
    }
  }
  return out;
}

export function contactIncrements(c: ContactEvent, settings: KpiSettings): KpiIncrement[] {
  const d: Partial<Record<KpiCounterName, number>> = { offered: 1 };
  const phone = c.channel === 'PHONE';
  if (phone) d.phone_offered = 1;
  if (c.answered_at === null) {
    d.abandoned = 1;
  } else {
    d.answered = 1;
    d.handle_ms = c.ended_at - c.answered_at;
    // Σ sale_cents over answered contacts, the numerator of sales_per_contact_cents.
    d.sale_cents = c.sale_cents;
    if (c.csat !== null) {
      d.csat_count = 1;
      d.csat_sum = c.csat;
      if (c.csat >= 4) d.csat_top2 = 1;
    }
    if (phone) {
      d.answered_phone = 1;
      if (c.answered_at - c.started_at <= settings.serviceLevelSeconds * 1000) d.phone_within_sl = 1;
    }
  }
  return forProvider(c.provider_id, c.ended_at, d);
}

/** A repeat is charged to the prior's provider (its contact did not resolve); a switch to the contact's. */
export function signalIncrements(s: JourneySignal): KpiIncrement[] {
  const at = s.contact_ended_at;
  if (s.kind === 'REPEAT_CONTACT') return s.prior_provider_id === null ? [] : forProvider(s.prior_provider_id, at, { repeats: 1 });
  return [...forProvider(s.contact_provider_id, at, { switches: 1 }), ...forFamily(s.intent_family, at, { switches: 1 })];
}

export function journeyIncrements(j: WebJourneyEvent, settings: KpiSettings): KpiIncrement[] {
  const d: Partial<Record<WebCounterName, number>> = { journeys: 1 };
  if (j.outcome === 'COMPLETED') d.completed = 1;
  if (j.customer_id !== null && settings.switchOutcomes.includes(j.outcome)) d.identified_switch_outcome_journeys = 1;
  return forFamily(family(j.journey), j.ended_at, d);
}

export function incrementsOf(e: KpiEvent, settings: KpiSettings): KpiIncrement[] {
  switch (e.kind) {
    case 'contact':
      return contactIncrements(e.event, settings);
    case 'signal':
      return signalIncrements(e.event);
    case 'journey':
      return journeyIncrements(e.event, settings);
  }
}
