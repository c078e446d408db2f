/**
 * SQL aggregation for rating (ARCHITECTURE.md "State"): per contract and local day, the counts
 * rateDay needs (DayAggregates) and the section 3 KPI counters month-close gates need.
 *
 * Local days are exact UTC epoch-ms intervals computed by the engine (DST days last 23 or 25 h)
 * and passed as parameters: each row's day is the first day whose end lies after its time,
 * kept only when the time is also at or after that day's start. No ClickHouse time-zone
 * function takes part, so a server and chdb agree to the millisecond.
 */
import {
  ChannelValues,
  emptyKpiCounters,
  localDayBounds,
  type Channel,
  type Contract,
  type ContractsConfig,
  type Count,
  type DayAggregates,
  type KpiCounters,
} from '@cxg/engine';
import { count, rows, type ClickHouseClient } from './clickhouse.ts';

export interface DayFacts {
  aggregates: DayAggregates;
  /** provider p's section 3 counters for the day (contacts by ended_at, signals by contact_ended_at) */
  counters: KpiCounters;
}

type Value = string | number | null | undefined;
type Row = Record<string, Value>;

/** Shared parameters: the days' bounds and the overall [lo, hi) for partition and index pruning. */
function dayParams(contract: Contract, dates: readonly string[]) {
  const bounds = dates.map((d) => localDayBounds(d, contract.timezone));
  return {
    starts: bounds.map((b) => b.start),
    ends: bounds.map((b) => b.end),
    lo: bounds[0]!.start,
    hi: bounds.at(-1)!.end,
  };
}

/** `i`: 1-based index of the day that `ms` falls in, 0 when none (dates may have gaps). */
const DAY_INDEX = (ms: string) =>
  `if((arrayFirstIndex(e -> ${ms} < e, {ends:Array(Int64)}) AS j) > 0 AND ${ms} >= {starts:Array(Int64)}[j], j, 0)`;

const IN_RANGE = (col: string) => `${col} >= fromUnixTimestamp64Milli({lo:Int64}, 'UTC') AND ${col} < fromUnixTimestamp64Milli({hi:Int64}, 'UTC')`;

const CONTACTS_SQL = `
SELECT i, channel,
       count() AS offered,
       countIf(is_answered) AS answered,
       countIf(NOT is_answered) AS abandoned,
       sumIf(t - a, is_answered) AS handle_ms,
       countIf(is_answered AND a - toUnixTimestamp64Milli(started_at) <= {sl_ms:Int64}) AS within_sl,
       countIf(is_answered AND csat IS NOT NULL) AS csat_count,
       countIf(is_answered AND csat >= 4) AS csat_top2,
       sumIf(toUInt64(ifNull(csat, 0)), is_answered) AS csat_sum,
       sumIf(sale_cents, is_answered) AS sale_cents
FROM (
    SELECT channel, started_at, csat, sale_cents,
           answered_at IS NOT NULL AS is_answered,
           toUnixTimestamp64Milli(ended_at) AS t,
           toUnixTimestamp64Milli(ifNull(answered_at, ended_at)) AS a,
           ${DAY_INDEX('t')} AS i
    FROM contacts FINAL
    WHERE provider_id = {p:String} AND ${IN_RANGE('ended_at')}
)
WHERE i > 0
GROUP BY i, channel`;

const SIGNALS_SQL = `
SELECT i,
       countIf(kind = 'REPEAT_CONTACT' AND prior_provider_id = {p:String}) AS repeats,
       countIf(kind = 'CHANNEL_SWITCH' AND has({families:Array(String)}, intent_family)) AS scope_switches,
       countIf(kind = 'CHANNEL_SWITCH' AND contact_provider_id = {p:String}) AS provider_switches
FROM (
    SELECT kind, prior_provider_id, contact_provider_id, intent_family,
           toUnixTimestamp64Milli(contact_ended_at) AS t,
           ${DAY_INDEX('t')} AS i
    FROM signals FINAL
    WHERE ${IN_RANGE('contact_ended_at')}
      AND (prior_provider_id = {p:String} OR contact_provider_id = {p:String} OR has({families:Array(String)}, intent_family))
)
WHERE i > 0
GROUP BY i`;

const JOURNEYS_SQL = `
SELECT i, count() AS failed
FROM (
    SELECT toUnixTimestamp64Milli(ended_at) AS t, ${DAY_INDEX('t')} AS i
    FROM journeys FINAL
    WHERE ${IN_RANGE('ended_at')} AND customer_id IS NOT NULL
      AND has({outcomes:Array(String)}, outcome) AND has({families:Array(String)}, journey_family)
)
WHERE i > 0
GROUP BY i`;

const WON_SQL = `
SELECT i, count() AS won
FROM (
    SELECT toUnixTimestamp64Milli(occurred_at) AS t, ${DAY_INDEX('t')} AS i
    FROM customer_events FINAL
    WHERE ${IN_RANGE('occurred_at')} AND provider_id = {p:String} AND type = 'ACTIVATED' AND won_by_provider
)
WHERE i > 0
GROUP BY i`;

/**
 * Active customers at the end of each day: a customer's event (in (occurred_at, event_id) order)
 * is its latest before instant e when it occurred before e and the next one did not (or there is
 * none), i.e. e in (a, b]. Each ACTIVATED-for-p event counts for the day ends in its interval.
 */
const ACTIVE_SQL = `
SELECT e, count() AS active
FROM (
    SELECT type, provider_id,
           toUnixTimestamp64Milli(occurred_at) AS a,
           leadInFrame(toNullable(toUnixTimestamp64Milli(occurred_at)))
               OVER (PARTITION BY customer_id ORDER BY occurred_at, event_id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS b
    FROM customer_events FINAL
    WHERE occurred_at < fromUnixTimestamp64Milli({hi:Int64}, 'UTC')
)
ARRAY JOIN arrayFilter(x -> x > a AND (b IS NULL OR x <= b), {ends:Array(Int64)}) AS e
WHERE type = 'ACTIVATED' AND provider_id = {p:String}
GROUP BY e`;

const add = (a: Count, b: Value): Count => {
  const s = BigInt(a) + BigInt(b ?? 0);
  return s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
};

/**
 * Loads the facts of `dates` (local dates of the contract's zone, ascending, no repeats) for
 * contract k of provider p: five aggregate queries whatever the number of days.
 */
export async function loadDayFacts(client: ClickHouseClient, config: ContractsConfig, contract: Contract, dates: readonly string[]): Promise<Map<string, DayFacts>> {
  const out = new Map<string, DayFacts>();
  if (dates.length === 0) return out;
  for (let i = 1; i < dates.length; i++) {
    if (!(dates[i - 1]! < dates[i]!)) throw new RangeError(`loadDayFacts: dates must ascend without repeats (${dates[i - 1]}, ${dates[i]})`);
  }
  const base = dayParams(contract, dates);
  const families = contract.scope?.intent_families ?? [];
  const p = contract.provider_id;
  const slMs = config.service_level_seconds * 1000;

  const days = dates.map((date): DayFacts => ({
    aggregates: { date, contacts: {}, sale_cents: 0, repeats: 0, failed_journeys: 0, switches: 0, active_customers: 0, won_activations: 0 },
    counters: emptyKpiCounters(),
  }));
  const day = (i: Value): DayFacts | undefined => days[Number(i) - 1];

  for (const r of await rows<Row>(client, CONTACTS_SQL, { ...base, p, sl_ms: slMs })) {
    const d = day(r.i)!;
    const ch = r.channel as Channel;
    if (!(ChannelValues as readonly string[]).includes(ch)) continue;
    const c = d.counters;
    const answered = count(r.answered);
    if (answered !== 0) d.aggregates.contacts[ch] = { answered, handle_ms: count(r.handle_ms) };
    d.aggregates.sale_cents = add(d.aggregates.sale_cents, r.sale_cents);
    c.offered = add(c.offered, r.offered);
    c.answered = add(c.answered, r.answered);
    c.abandoned = add(c.abandoned, r.abandoned);
    c.handle_ms = add(c.handle_ms, r.handle_ms);
    c.csat_count = add(c.csat_count, r.csat_count);
    c.csat_top2 = add(c.csat_top2, r.csat_top2);
    c.csat_sum = add(c.csat_sum, r.csat_sum);
    c.sale_cents = add(c.sale_cents, r.sale_cents);
    if (ch === 'PHONE') {
      c.phone_offered = add(c.phone_offered, r.offered);
      c.phone_within_sl = add(c.phone_within_sl, r.within_sl);
      c.answered_phone = add(c.answered_phone, r.answered);
    }
  }
  for (const r of await rows<Row>(client, SIGNALS_SQL, { ...base, p, families })) {
    const d = day(r.i)!;
    d.aggregates.repeats = count(r.repeats);
    d.aggregates.switches = count(r.scope_switches);
    d.counters.repeats = count(r.repeats);
    d.counters.switches = count(r.provider_switches);
  }
  if (families.length > 0) {
    for (const r of await rows<Row>(client, JOURNEYS_SQL, { ...base, families, outcomes: config.detection.switch_outcomes })) {
      day(r.i)!.aggregates.failed_journeys = count(r.failed);
    }
  }
  for (const r of await rows<Row>(client, WON_SQL, { ...base, p })) day(r.i)!.aggregates.won_activations = count(r.won);
  const byEnd = new Map(base.ends.map((e, i) => [e, days[i]!]));
  for (const r of await rows<Row>(client, ACTIVE_SQL, { ends: base.ends, hi: base.hi, p })) {
    const d = byEnd.get(Number(r.e));
    if (d) d.aggregates.active_customers = count(r.active);
  }
  for (const d of days) out.set(d.aggregates.date, d);
  return out;
}
