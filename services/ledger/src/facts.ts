/**
 * Facts in ClickHouse: accepted input records and signals as rows (one per id), and the lookups
 * duplicate judgement needs. Inserting the same fact twice is harmless (ReplacingMergeTree by id).
 */
import { TOPICS, family, type ContactEvent, type CustomerEvent, type InputEvent, type InputTopic, type JourneySignal, type WebJourneyEvent } from '@cxg/engine';
import { chTime, rows, type ClickHouseClient } from './clickhouse.ts';

/** An accepted record and where it was accepted (`<topic>/<partition>/<offset>` or `replay:<line>`). */
export interface AcceptedFact {
  topic: InputTopic;
  event: InputEvent;
  source: string;
  /** the watermark right after it was accepted (adjustments.ts); 0 (on time) when not given */
  arrivedMs?: number;
}

const FACT_TABLES = {
  [TOPICS.contacts]: 'contacts',
  [TOPICS.web]: 'journeys',
  [TOPICS.customers]: 'customer_events',
} as const satisfies Record<InputTopic, string>;

function contactRow(e: ContactEvent, source: string, version: string, arrivedMs: number) {
  return {
    event_id: e.event_id,
    contact_id: e.contact_id,
    customer_id: e.customer_id,
    provider_id: e.provider_id,
    agent_id: e.agent_id,
    channel: e.channel,
    queue: e.queue,
    intent: e.intent,
    intent_family: family(e.intent),
    started_at: chTime(e.started_at),
    answered_at: e.answered_at === null ? null : chTime(e.answered_at),
    ended_at: chTime(e.ended_at),
    outcome: e.outcome,
    csat: e.csat,
    sale_cents: e.sale_cents,
    source,
    arrived_ms: arrivedMs,
    version,
  };
}

function journeyRow(e: WebJourneyEvent, source: string, version: string, arrivedMs: number) {
  return {
    event_id: e.event_id,
    session_id: e.session_id,
    customer_id: e.customer_id,
    journey: e.journey,
    journey_family: family(e.journey),
    started_at: chTime(e.started_at),
    ended_at: chTime(e.ended_at),
    outcome: e.outcome,
    last_step: e.last_step,
    error_code: e.error_code,
    source,
    arrived_ms: arrivedMs,
    version,
  };
}

function customerRow(e: CustomerEvent, source: string, version: string, arrivedMs: number) {
  return {
    event_id: e.event_id,
    customer_id: e.customer_id,
    provider_id: e.provider_id,
    type: e.type,
    occurred_at: chTime(e.occurred_at),
    won_by_provider: e.won_by_provider,
    source,
    arrived_ms: arrivedMs,
    version,
  };
}

function signalRow(s: JourneySignal, version: string, arrivedMs: number) {
  return {
    ...s,
    contact_ended_at: chTime(s.contact_ended_at),
    prior_ended_at: chTime(s.prior_ended_at),
    arrived_ms: arrivedMs,
    version,
  };
}

/** Large inserts go in slices: chdb builds each insert as one string. */
const INSERT_SLICE = 20_000;

async function insertRows(client: ClickHouseClient, table: string, values: readonly object[]): Promise<void> {
  for (let i = 0; i < values.length; i += INSERT_SLICE) {
    await client.insert({ table, values: values.slice(i, i + INSERT_SLICE), format: 'JSONEachRow' });
  }
}

/** Writes accepted records to their fact tables. `version` only orders identical re-inserts. */
export async function insertFacts(client: ClickHouseClient, facts: readonly AcceptedFact[], version: bigint): Promise<void> {
  const v = version.toString();
  const contacts: object[] = [];
  const journeys: object[] = [];
  const customers: object[] = [];
  for (const { topic, event, source, arrivedMs = 0 } of facts) {
    if (topic === TOPICS.contacts) contacts.push(contactRow(event as ContactEvent, source, v, arrivedMs));
    else if (topic === TOPICS.web) journeys.push(journeyRow(event as WebJourneyEvent, source, v, arrivedMs));
    else customers.push(customerRow(event as CustomerEvent, source, v, arrivedMs));
  }
  if (contacts.length > 0) await insertRows(client, 'contacts', contacts);
  if (journeys.length > 0) await insertRows(client, 'journeys', journeys);
  if (customers.length > 0) await insertRows(client, 'customer_events', customers);
}

/** `arrivals`: signal_id → when it arrived (adjustments.ts); 0 (on time) for a signal not in it. */
export async function insertSignals(client: ClickHouseClient, signals: readonly JourneySignal[], version: bigint, arrivals?: ReadonlyMap<string, number>): Promise<void> {
  if (signals.length > 0) await insertRows(client, 'signals', signals.map((s) => signalRow(s, version.toString(), arrivals?.get(s.signal_id) ?? 0)));
}

/** When the stored ones of these signals arrived: a signal re-emitted later keeps its first arrival. */
export async function storedSignalArrivals(client: ClickHouseClient, signalIds: readonly string[]): Promise<Map<string, number>> {
  if (signalIds.length === 0) return new Map();
  const found = await rows<{ signal_id: string; a: string }>(
    client,
    'SELECT signal_id, toString(min(arrived_ms)) AS a FROM signals WHERE signal_id IN {ids:Array(String)} GROUP BY signal_id',
    { ids: signalIds },
  );
  return new Map(found.map((r) => [r.signal_id, Number(r.a)]));
}

/** The greatest arrival stamp of the stored input facts (the watermark including facts not yet rated), or null. */
export async function readArrivedWatermark(client: ClickHouseClient): Promise<number | null> {
  const [r] = await rows<{ m: string; n: string }>(
    client,
    `SELECT toString(max(m)) AS m, toString(sum(n)) AS n FROM (
       SELECT max(arrived_ms) AS m, count() AS n FROM contacts UNION ALL
       SELECT max(arrived_ms), count() FROM journeys UNION ALL
       SELECT max(arrived_ms), count() FROM customer_events)`,
  );
  return r === undefined || r.n === '0' || r.m === '0' ? null : Number(r.m);
}

export interface StoredIds {
  /** event_id → source of the stored row */
  events: Map<string, string>;
  /** event_id → when the stored row arrived: a batch re-read after a crash keeps its arrival */
  arrived: Map<string, number>;
  /** contact_id → event_id that owns it */
  contactOwners: Map<string, string>;
}

/** What ClickHouse already holds of these ids on `topic`, for judge(): one query per kind of id. */
export async function lookupStored(client: ClickHouseClient, topic: InputTopic, eventIds: readonly string[], contactIds: readonly string[]): Promise<StoredIds> {
  const table = FACT_TABLES[topic];
  const events = new Map<string, string>();
  const arrived = new Map<string, number>();
  const contactOwners = new Map<string, string>();
  if (eventIds.length > 0) {
    const found = await rows<{ event_id: string; source: string; a: string }>(
      client,
      `SELECT event_id, any(source) AS source, toString(min(arrived_ms)) AS a FROM ${table} WHERE event_id IN {ids:Array(String)} GROUP BY event_id`,
      { ids: eventIds },
    );
    for (const r of found) {
      events.set(r.event_id, r.source);
      arrived.set(r.event_id, Number(r.a));
    }
  }
  if (topic === TOPICS.contacts && contactIds.length > 0) {
    const found = await rows<{ contact_id: string; event_id: string }>(
      client,
      'SELECT contact_id, min(event_id) AS event_id FROM contacts WHERE contact_id IN {ids:Array(String)} GROUP BY contact_id',
      { ids: contactIds },
    );
    for (const r of found) contactOwners.set(r.contact_id, r.event_id);
  }
  return { events, arrived, contactOwners };
}
