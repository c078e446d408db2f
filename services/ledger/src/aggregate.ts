/**
 * SQL aggregation for rating (docs/accruals.md, "The ledger, versions and re-rating"): per contract and local day, the counts
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

/**
 * One statement, five parts, each row `(part, day, ch, v)`: `day` is the 1-based index into the
 * dates, `v` the part's counts in a fixed order. One round trip instead of five halves the cost
 * of a rating on chdb, where each query has a fixed overhead of several ms.
 *
 * `v` is Array(Int128) and the sums are taken in Int128: ClickHouse's sum() of Int64 wraps around
 * silently, and a day's Σ sale_cents (or Σ handle ms) of valid input can pass 2^63. Int128 comes
 * back as a quoted JSON string (output_format_json_quote_64bit_integers), read as bigint.
 */
const CONTACTS_PART = `
SELECT 'contacts' AS part, toUInt64(i) AS day, toString(channel) AS ch,
       [toInt128(count()), toInt128(countIf(is_answered)), toInt128(countIf(NOT is_answered)), sumIf(toInt128(t - a), is_answered),
        toInt128(countIf(is_answered AND a - s <= {sl_ms:Int64})), toInt128(countIf(is_answered AND csat IS NOT NULL)),
        toInt128(countIf(is_answered AND csat >= 4)), sumIf(toInt128(ifNull(csat, 0)), is_answered),
        sumIf(toInt128(sale_cents), is_answered)] AS v
FROM (
    SELECT channel, csat, sale_cents,
           answered_at IS NOT NULL AS is_answered,
           toUnixTimestamp64Milli(started_at) AS s,
           toUnixTimestamp64Milli(ended_at) AS t,
           toUnixTimestamp64Milli(ifNull(answered_at, ended_at)) AS a,
           ${DAY_INDEX('t')} AS i
    FROM contacts FINAL
    WHERE provider_id = {p:String} AND ${IN_RANGE('ended_at')} AND arrived_ms < {cut:Int64}
)
WHERE i > 0
GROUP BY i, channel`;

const SIGNALS_PART = `
SELECT 'signals' AS part, toUInt64(i) AS day, '' AS ch,
       [toInt128(countIf(kind = 'REPEAT_CONTACT' AND prior_provider_id = {p:String})),
        toInt128(countIf(kind = 'CHANNEL_SWITCH' AND has({families:Array(String)}, intent_family))),
        toInt128(countIf(kind = 'CHANNEL_SWITCH' AND contact_provider_id = {p:String}))] AS v
FROM (
    SELECT kind, prior_provider_id, contact_provider_id, intent_family,
           toUnixTimestamp64Milli(contact_ended_at) AS t,
           ${DAY_INDEX('t')} AS i
    FROM signals FINAL
    WHERE ${IN_RANGE('contact_ended_at')} AND arrived_ms < {cut:Int64}
      AND (prior_provider_id = {p:String} OR contact_provider_id = {p:String} OR has({families:Array(String)}, intent_family))
)
WHERE i > 0
GROUP BY i`;

const JOURNEYS_PART = `
SELECT 'journeys' AS part, toUInt64(i) AS day, '' AS ch, [toInt128(count())] AS v
FROM (
    SELECT toUnixTimestamp64Milli(ended_at) AS t, ${DAY_INDEX('t')} AS i
    FROM journeys FINAL
    WHERE ${IN_RANGE('ended_at')} AND arrived_ms < {cut:Int64} AND customer_id IS NOT NULL
      AND has({outcomes:Array(String)}, outcome) AND has({families:Array(String)}, journey_family)
)
WHERE i > 0
GROUP BY i`;

const WON_PART = `
SELECT 'won' AS part, toUInt64(i) AS day, '' AS ch, [toInt128(count())] AS v
FROM (
    SELECT toUnixTimestamp64Milli(occurred_at) AS t, ${DAY_INDEX('t')} AS i
    FROM customer_events FINAL
    WHERE ${IN_RANGE('occurred_at')} AND arrived_ms < {cut:Int64} AND provider_id = {p:String} AND type = 'ACTIVATED' AND won_by_provider
)
WHERE i > 0
GROUP BY i`;

/**
 * Active customers at the end of each day: a customer's event (in (occurred_at, event_id) order)
 * is its latest before instant e when it occurred before e and the next one did not (or there is
 * none), i.e. e in (a, b]. Each ACTIVATED-for-p event counts for the day ends in its interval.
 */
const ACTIVE_PART = `
SELECT 'active' AS part, toUInt64(indexOf({ends:Array(Int64)}, e)) AS day, '' AS ch, [toInt128(count())] AS v
FROM (
    SELECT type, provider_id,
           toUnixTimestamp64Milli(occurred_at) AS a,
           leadInFrame(toNullable(toUnixTimestamp64Milli(occurred_at)))
               OVER (PARTITION BY customer_id ORDER BY occurred_at, event_id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS b
    FROM customer_events FINAL
    WHERE occurred_at < fromUnixTimestamp64Milli({hi:Int64}, 'UTC') AND arrived_ms < {cut:Int64}
)
ARRAY JOIN arrayFilter(x -> x > a AND (b IS NULL OR x <= b), {ends:Array(Int64)}) AS e
WHERE type = 'ACTIVATED' AND provider_id = {p:String}
GROUP BY e`;

const DAY_FACTS_SQL = [CONTACTS_PART, SIGNALS_PART, JOURNEYS_PART, WON_PART, ACTIVE_PART].join('\nUNION ALL\n');

const add = (a: Count, b: Value): Count => {
  const s = BigInt(a) + BigInt(b ?? 0);
  return s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
};

/** No cut: every stored fact (the greatest Int64). */
const ALL_ARRIVED = 9223372036854775807n;

/**
 * Loads the facts of `dates` (local dates of the contract's zone, ascending, no repeats) for
 * contract k of provider p: one aggregate query whatever the number of days. With `arrivedBefore`
 * only the facts that arrived before that instant count (adjustments.ts: a line as it stood then).
 */
export async function loadDayFacts(
  client: ClickHouseClient,
  config: ContractsConfig,
  contract: Contract,
  dates: readonly string[],
  arrivedBefore?: number,
): Promise<Map<string, DayFacts>> {
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

  const found = await rows<{ part: string; day: string; ch: string; v: string[] }>(client, DAY_FACTS_SQL, {
    ...base,
    p,
    sl_ms: slMs,
    families,
    outcomes: config.detection.switch_outcomes,
    cut: (arrivedBefore === undefined ? ALL_ARRIVED : BigInt(arrivedBefore)).toString(),
  });
  for (const { part, day: i, ch, v } of found) {
    const d = days[Number(i) - 1];
    if (d === undefined) continue;
    const a = d.aggregates;
    const c = d.counters;
    if (part === 'contacts') {
      if (!(ChannelValues as readonly string[]).includes(ch)) continue;
      const [offered, answered, abandoned, handle, withinSl, csatCount, csatTop2, csatSum, sales] = v;
      if (count(answered) !== 0) a.contacts[ch as Channel] = { answered: count(answered), handle_ms: count(handle) };
      a.sale_cents = add(a.sale_cents, sales);
      c.offered = add(c.offered, offered);
      c.answered = add(c.answered, answered);
      c.abandoned = add(c.abandoned, abandoned);
      c.handle_ms = add(c.handle_ms, handle);
      c.csat_count = add(c.csat_count, csatCount);
      c.csat_top2 = add(c.csat_top2, csatTop2);
      c.csat_sum = add(c.csat_sum, csatSum);
      c.sale_cents = add(c.sale_cents, sales);
      if (ch === 'PHONE') {
        c.phone_offered = add(c.phone_offered, offered);
        c.phone_within_sl = add(c.phone_within_sl, withinSl);
        c.answered_phone = add(c.answered_phone, answered);
      }
    } else if (part === 'signals') {
      const [repeats, scopeSwitches, providerSwitches] = v;
      a.repeats = c.repeats = count(repeats);
      a.switches = count(scopeSwitches);
      c.switches = count(providerSwitches);
    } else if (part === 'journeys') {
      a.failed_journeys = count(v[0]);
    } else if (part === 'won') {
      a.won_activations = count(v[0]);
    } else if (part === 'active') {
      a.active_customers = count(v[0]);
    }
  }
  for (const d of days) out.set(d.aggregates.date, d);
  return out;
}

/** A fact that arrived at least the allowed lateness after its own time: a candidate for adjustments. */
export interface LateFact {
  kind: 'contact' | 'signal' | 'journey' | 'customer';
  id: string;
  /** its event time (a signal: its contact's end), epoch ms */
  t: number;
  arrived_ms: number;
}

// The facts each part of DAY_FACTS_SQL reads, narrowed to those that arrived ≥ L after their
// time (the rare ones). Customer events of any provider and any earlier day count: they move the
// active customers of every later day.
const LATE_FACTS_SQL = `
SELECT * FROM (
SELECT 'contact' AS kind, event_id AS id, toUnixTimestamp64Milli(ended_at) AS t, arrived_ms FROM contacts FINAL
WHERE provider_id = {p:String} AND ${IN_RANGE('ended_at')} AND arrived_ms - toUnixTimestamp64Milli(ended_at) >= {l_ms:Int64}
UNION ALL
SELECT 'signal', signal_id, toUnixTimestamp64Milli(contact_ended_at), arrived_ms FROM signals FINAL
WHERE ${IN_RANGE('contact_ended_at')} AND arrived_ms - toUnixTimestamp64Milli(contact_ended_at) >= {l_ms:Int64}
  AND (prior_provider_id = {p:String} OR contact_provider_id = {p:String} OR has({families:Array(String)}, intent_family))
UNION ALL
SELECT 'journey', event_id, toUnixTimestamp64Milli(ended_at), arrived_ms FROM journeys FINAL
WHERE ${IN_RANGE('ended_at')} AND arrived_ms - toUnixTimestamp64Milli(ended_at) >= {l_ms:Int64} AND customer_id IS NOT NULL
  AND has({outcomes:Array(String)}, outcome) AND has({families:Array(String)}, journey_family)
UNION ALL
SELECT 'customer', event_id, toUnixTimestamp64Milli(occurred_at), arrived_ms FROM customer_events FINAL
WHERE occurred_at < fromUnixTimestamp64Milli({hi:Int64}, 'UTC') AND arrived_ms - toUnixTimestamp64Milli(occurred_at) >= {l_ms:Int64}
)
ORDER BY arrived_ms, kind, id`;

/**
 * The facts that may be late for some of `dates` (ascending local dates of the contract's zone):
 * those that count for these days (as loadDayFacts reads them) and arrived at least the allowed
 * lateness after their own time. Which day each is late for is the caller's to decide
 * (adjustments.ts); the filter only keeps the query small.
 */
export async function loadLateFacts(client: ClickHouseClient, config: ContractsConfig, contract: Contract, dates: readonly string[]): Promise<LateFact[]> {
  if (dates.length === 0) return [];
  const { lo, hi } = dayParams(contract, dates);
  const found = await rows<{ kind: LateFact['kind']; id: string; t: string | number; arrived_ms: string | number }>(client, LATE_FACTS_SQL, {
    lo,
    hi,
    p: contract.provider_id,
    families: contract.scope?.intent_families ?? [],
    outcomes: config.detection.switch_outcomes,
    l_ms: config.detection.allowed_lateness_ms,
  });
  return found.map((r) => ({ kind: r.kind, id: r.id, t: Number(r.t), arrived_ms: Number(r.arrived_ms) }));
}
