import type { ContactEvent, CustomerEvent, InputEvent, InputTopic, WebJourneyEvent } from '@cxg/engine';
import { TOPICS, validateEvent } from '@cxg/engine';
import { simulate, toNdjsonLine, type SimOptions, type SimRecord } from '../src/index.ts';

/** A fixed wall clock keeps the tests independent of the day they run on. */
export const NOW = Date.UTC(2026, 10, 27);

export function options(over: Partial<SimOptions> = {}): SimOptions {
  return { seed: 7, customers: 2000, providers: 3, days: 7, nowMs: NOW, ...over };
}

export function lines(opts: SimOptions): string[] {
  return [...simulate(opts)].map(toNdjsonLine);
}

export interface Parsed {
  contacts: ContactEvent[];
  web: WebJourneyEvent[];
  customers: CustomerEvent[];
  /** In output order, validated. */
  events: Array<{ topic: InputTopic; key: string; event: InputEvent }>;
}

/** Validates every record with the engine (throws on the first invalid one) and splits by topic. */
export function parseValid(records: Iterable<SimRecord>): Parsed {
  const out: Parsed = { contacts: [], web: [], customers: [], events: [] };
  for (const r of records) {
    const v = validateEvent(r.topic, r.value, NOW);
    if (!v.ok) throw new Error(`invalid ${r.topic} record (${v.reason}: ${v.message}): ${JSON.stringify(r.value)}`);
    out.events.push({ topic: r.topic, key: r.key, event: v.event });
    if (r.topic === TOPICS.contacts) out.contacts.push(v.event as ContactEvent);
    else if (r.topic === TOPICS.web) out.web.push(v.event as WebJourneyEvent);
    else out.customers.push(v.event as CustomerEvent);
  }
  return out;
}

export function countBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}
