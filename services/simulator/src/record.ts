import type { ContactEvent, CustomerEvent, InputTopic, WebJourneyEvent } from '@cxg/engine';
import { TOPICS } from '@cxg/engine';

/**
 * One record for an input topic. `value` is an `object` rather than the event types because
 * injected bad records (--bad-ratio) deliberately break the schema. `key` is the Kafka key:
 * customer_id, or session_id for anonymous journeys.
 */
export interface SimRecord {
  readonly topic: InputTopic;
  readonly key: string;
  readonly value: object;
}

export type SimEvent =
  | { readonly topic: typeof TOPICS.contacts; readonly key: string; readonly value: ContactEvent }
  | { readonly topic: typeof TOPICS.web; readonly key: string; readonly value: WebJourneyEvent }
  | { readonly topic: typeof TOPICS.customers; readonly key: string; readonly value: CustomerEvent };

/** Event time per docs/detection.md: ended_at, customers occurred_at. */
export function eventTime(event: SimEvent): number {
  return event.topic === TOPICS.customers ? event.value.occurred_at : event.value.ended_at;
}
