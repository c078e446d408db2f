import type { InputEvent } from './validate.ts';
import { compareCodePoints } from './codepoint.ts';

/**
 * The processing order of docs/detection.md: (event time, started_at, event_id). Event time is
 * `ended_at`, for customer events `occurred_at`, which also stands in for their started_at.
 */
export interface OrderKey {
  eventTime: number;
  startedAt: number;
  eventId: string;
}

export function eventTimeOf(event: InputEvent): number {
  return 'occurred_at' in event ? event.occurred_at : event.ended_at;
}

export function orderKeyOf(event: InputEvent): OrderKey {
  if ('occurred_at' in event) return { eventTime: event.occurred_at, startedAt: event.occurred_at, eventId: event.event_id };
  return { eventTime: event.ended_at, startedAt: event.started_at, eventId: event.event_id };
}

export function compareOrderKeys(a: OrderKey, b: OrderKey): number {
  return a.eventTime - b.eventTime || a.startedAt - b.startedAt || compareCodePoints(a.eventId, b.eventId);
}

export function compareEventsByOrder(a: InputEvent, b: InputEvent): number {
  return compareOrderKeys(orderKeyOf(a), orderKeyOf(b));
}
