// Builders for valid events; tests override only what they are about.
import type { ContactEvent, CustomerEvent, WebJourneyEvent } from '../src/index.ts';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
/** 2026-11-03T10:00:00Z */
export const T0 = Date.UTC(2026, 10, 3, 10);
/** A wall clock well after every fixture. */
export const NOW = T0 + 60 * DAY;

export function contact(over: Partial<ContactEvent> = {}): ContactEvent {
  const started_at = over.started_at ?? T0;
  return {
    event_id: 'e1',
    contact_id: 'c1',
    customer_id: 'u1',
    provider_id: 'prov-a',
    agent_id: null,
    channel: 'PHONE',
    queue: 'q-billing',
    intent: 'billing.invoice_question',
    started_at,
    answered_at: started_at + 10_000,
    ended_at: started_at + 5 * MIN,
    outcome: 'RESOLVED',
    csat: null,
    sale_cents: 0,
    ...over,
  };
}

/** An abandoned contact: unanswered, outcome ABANDONED. */
export function abandoned(over: Partial<ContactEvent> = {}): ContactEvent {
  return contact({ answered_at: null, outcome: 'ABANDONED', ...over });
}

export function journey(over: Partial<WebJourneyEvent> = {}): WebJourneyEvent {
  const started_at = over.started_at ?? T0;
  return {
    event_id: 'w1',
    session_id: 's1',
    customer_id: 'u1',
    journey: 'billing.download_invoice',
    started_at,
    ended_at: started_at + 2 * MIN,
    outcome: 'FAILED',
    last_step: 'login',
    error_code: null,
    ...over,
  };
}

export function customerEvent(over: Partial<CustomerEvent> = {}): CustomerEvent {
  return {
    event_id: 'k1',
    customer_id: 'u1',
    provider_id: 'prov-a',
    type: 'ACTIVATED',
    occurred_at: T0,
    won_by_provider: false,
    ...over,
  };
}
