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

/** One reading of the facts: `dates` as they stood when only the facts that arrived before `arrivedBefore` were stored (absent: every fact). */
export interface FactView {
  dates: readonly string[];
  arrivedBefore?: number;
}

/** No cut: every stored fact (the greatest Int64). */
const ALL_ARRIVED = 9223372036854775807n;

/**
 * The parameters of several views in one statement: `starts`/`ends` bound the union of their
 * dates (`lo`/`hi` overall, for partition and index pruning), `cuts` are their distinct cut
 * instants, ascending. A view is its dates' indexes and its cut's index.
 */
function viewParams(contract: Contract, views: readonly FactView[]) {
  const dates = [...new Set(views.flatMap((v) => v.dates))].sort();
  const bounds = dates.map((d) => localDayBounds(d, contract.timezone));
  const cutOf = (v: FactView) => (v.arrivedBefore === undefined ? ALL_ARRIVED : BigInt(v.arrivedBefore));
  const cuts = [...new Set(views.map(cutOf))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return {
    dates,
    cutIndex: views.map((v) => cuts.indexOf(cutOf(v)) + 1),
    params: { starts: bounds.map((b) => b.start), ends: bounds.map((b) => b.end), lo: bounds[0]!.start, hi: bounds.at(-1)!.end, cuts },
  };
}

/** `i`: 1-based index of the day that `ms` falls in, 0 when none (dates may have gaps). */
const DAY_INDEX = (ms: string) =>
  `if((arrayFirstIndex(e -> ${ms} < e, {ends:Array(Int64)}) AS j) > 0 AND ${ms} >= {starts:Array(Int64)}[j], j, 0)`;

/** `b`: the arrival bucket, the index of the first cut after the fact's arrival (it counts for that cut and every later one). */
const BUCKET = `arrayFirstIndex(x -> arrived_ms < x, {cuts:Array(Int64)})`;

const IN_RANGE = (col: string) => `${col} >= fromUnixTimestamp64Milli({lo:Int64}, 'UTC') AND ${col} < fromUnixTimestamp64Milli({hi:Int64}, 'UTC')`;

/**
 * One statement, five parts, each row `(part, day, cut, ch, v)`: `day` is the 1-based index into
 * the dates, `v` the part's counts in a fixed order. The additive parts (every one but active
 * customers) are grouped by arrival bucket, `cut` being the first cut the row counts for: a view
 * with cut c adds the buckets up to c, so every view costs no more rows than the facts. Active
 * customers are not additive and are counted per cut (`cut` is then exact). One round trip for
 * every view instead of five queries per view: on chdb each query has a fixed overhead of several
 * ms, and rating a chunk with late facts reads it at every cut (adjustments.ts).
 *
 * `v` is Array(Int128) and the sums are taken in Int128: ClickHouse's sum() of Int64 wraps around
 * silently, and a day's Σ sale_cents (or Σ handle ms) of valid input can pass 2^63. Int128 comes
 * back as a quoted JSON string (output_format_json_quote_64bit_integers), read as bigint.
 */
const CONTACTS_PART = `
SELECT 'contacts' AS part, toUInt64(i) AS day, toUInt64(b) AS cut, toString(channel) AS ch,
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
           ${DAY_INDEX('t')} AS i, ${BUCKET} AS b
    FROM contacts FINAL
    WHERE provider_id = {p:String} AND ${IN_RANGE('ended_at')}
)
WHERE i > 0 AND b > 0
GROUP BY i, b, channel`;

const SIGNALS_PART = `
SELECT 'signals' AS part, toUInt64(i) AS day, toUInt64(b) AS cut, '' AS ch,
       [toInt128(countIf(kind = 'REPEAT_CONTACT' AND prior_provider_id = {p:String})),
        toInt128(countIf(kind = 'CHANNEL_SWITCH' AND has({families:Array(String)}, intent_family))),
        toInt128(countIf(kind = 'CHANNEL_SWITCH' AND contact_provider_id = {p:String}))] AS v
FROM (
    SELECT kind, prior_provider_id, contact_provider_id, intent_family,
           toUnixTimestamp64Milli(contact_ended_at) AS t,
           ${DAY_INDEX('t')} AS i, ${BUCKET} AS b
    FROM signals FINAL
    WHERE ${IN_RANGE('contact_ended_at')}
      AND (prior_provider_id = {p:String} OR contact_provider_id = {p:String} OR has({families:Array(String)}, intent_family))
)
WHERE i > 0 AND b > 0
GROUP BY i, b`;

const JOURNEYS_PART = `
SELECT 'journeys' AS part, toUInt64(i) AS day, toUInt64(b) AS cut, '' AS ch, [toInt128(count())] AS v
FROM (
    SELECT toUnixTimestamp64Milli(ended_at) AS t, ${DAY_INDEX('t')} AS i, ${BUCKET} AS b
    FROM journeys FINAL
    WHERE ${IN_RANGE('ended_at')} AND customer_id IS NOT NULL
      AND has({outcomes:Array(String)}, outcome) AND has({families:Array(String)}, journey_family)
)
WHERE i > 0 AND b > 0
GROUP BY i, b`;

const WON_PART = `
SELECT 'won' AS part, toUInt64(i) AS day, toUInt64(b) AS cut, '' AS ch, [toInt128(count())] AS v
FROM (
    SELECT toUnixTimestamp64Milli(occurred_at) AS t, ${DAY_INDEX('t')} AS i, ${BUCKET} AS b
    FROM customer_events FINAL
    WHERE ${IN_RANGE('occurred_at')} AND provider_id = {p:String} AND type = 'ACTIVATED' AND won_by_provider
)
WHERE i > 0 AND b > 0
GROUP BY i, b`;

/**
 * Active customers at the end of each day, per cut: a customer's event (in (occurred_at,
 * event_id) order, among those that arrived before the cut) is its latest before instant e when
 * it occurred before e and the next one did not (or there is none), i.e. e in (a, b]. Each
 * ACTIVATED-for-p event counts for the day ends in its interval. Each cut is a window of its own,
 * so every cut beyond the first costs one more pass over the customer events.
 */
const ACTIVE_PART = `
SELECT 'active' AS part, toUInt64(indexOf({ends:Array(Int64)}, e)) AS day, toUInt64(c) AS cut, '' AS ch, [toInt128(count())] AS v
FROM (
    SELECT c, type, provider_id, a,
           leadInFrame(toNullable(a)) OVER (PARTITION BY c, customer_id ORDER BY occurred_at, event_id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS b
    FROM (
        SELECT customer_id, occurred_at, event_id, type, provider_id, toUnixTimestamp64Milli(occurred_at) AS a, ${BUCKET} AS first
        FROM customer_events FINAL
        WHERE occurred_at < fromUnixTimestamp64Milli({hi:Int64}, 'UTC')
    )
    ARRAY JOIN range(toUInt32(first), toUInt32(length({cuts:Array(Int64)}) + 1)) AS c
    WHERE first > 0
)
ARRAY JOIN arrayFilter(x -> x > a AND (b IS NULL OR x <= b), {ends:Array(Int64)}) AS e
WHERE type = 'ACTIVATED' AND provider_id = {p:String}
GROUP BY e, c`;

/**
 * The facts each part reads that arrived after their own day's cut (end of the day plus L): the
 * only ones that can be late for a line of these days (adjustments.ts), as rows
 * `('late', 0, 0, '<kind>:<id>', [t, arrived_ms])`. Customer events of any provider and any
 * earlier day count, since they move the active customers of every later day: those that arrived
 * after the first day's cut.
 */
const LATE_CUT = (i: string) => `${i} > 0 AND arrived_ms >= {ends:Array(Int64)}[${i}] + {l_ms:Int64}`;
const LATE_PART = `
SELECT 'late' AS part, toUInt64(0) AS day, toUInt64(0) AS cut, concat(kind, ':', id) AS ch, [toInt128(t), toInt128(arrived_ms)] AS v FROM (
SELECT 'contact' AS kind, event_id AS id, toUnixTimestamp64Milli(ended_at) AS t, arrived_ms, ${DAY_INDEX('t')} AS i FROM contacts FINAL
WHERE provider_id = {p:String} AND ${IN_RANGE('ended_at')} AND ${LATE_CUT('i')}
UNION ALL
SELECT 'signal', signal_id, toUnixTimestamp64Milli(contact_ended_at) AS t, arrived_ms, ${DAY_INDEX('t')} AS i FROM signals FINAL
WHERE ${IN_RANGE('contact_ended_at')} AND ${LATE_CUT('i')}
  AND (prior_provider_id = {p:String} OR contact_provider_id = {p:String} OR has({families:Array(String)}, intent_family))
UNION ALL
SELECT 'journey', event_id, toUnixTimestamp64Milli(ended_at) AS t, arrived_ms, ${DAY_INDEX('t')} AS i FROM journeys FINAL
WHERE ${IN_RANGE('ended_at')} AND ${LATE_CUT('i')} AND customer_id IS NOT NULL
  AND has({outcomes:Array(String)}, outcome) AND has({families:Array(String)}, journey_family)
UNION ALL
SELECT 'customer', event_id, toUnixTimestamp64Milli(occurred_at), arrived_ms, toUInt32(0) FROM customer_events FINAL
WHERE occurred_at < fromUnixTimestamp64Milli({hi:Int64}, 'UTC') AND arrived_ms >= {ends:Array(Int64)}[1] + {l_ms:Int64}
)`;

const FACTS_SQL = [CONTACTS_PART, SIGNALS_PART, JOURNEYS_PART, WON_PART, ACTIVE_PART].join('\nUNION ALL\n');
const FACTS_AND_LATE_SQL = [FACTS_SQL, LATE_PART].join('\nUNION ALL\n');

const add = (a: Count, b: Value): Count => {
  const s = BigInt(a) + BigInt(b ?? 0);
  return s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
};

/** A fact that arrived after its own day's cut: a candidate for adjustments. */
export interface LateFact {
  kind: 'contact' | 'signal' | 'journey' | 'customer';
  id: string;
  /** its event time (a signal: its contact's end), epoch ms */
  t: number;
  arrived_ms: number;
}

export interface FactViews {
  /** per view, its dates' facts */
  views: Array<Map<string, DayFacts>>;
  /** with `late`: the facts that may be late for some of the dates, by arrival (then kind, id) */
  late: LateFact[];
}

const emptyDay = (date: string): DayFacts => ({
  aggregates: { date, contacts: {}, sale_cents: 0, repeats: 0, failed_journeys: 0, switches: 0, active_customers: 0, won_activations: 0 },
  counters: emptyKpiCounters(),
});

/**
 * Loads the facts of contract k of provider p as each view sees them, in one aggregate query
 * whatever the number of views and days. A view's dates are local dates of the contract's zone,
 * ascending, no repeats; with `arrivedBefore` only the facts that arrived before that instant count
 * (adjustments.ts: a line as it stood then). With `late`, the same query also returns the facts
 * that may be late for some of the dates: those that count for them and arrived after their own
 * day's cut (a customer event: after the first day's). Which day each is late for is the
 * caller's to decide.
 */
export async function loadFactViews(
  client: ClickHouseClient,
  config: ContractsConfig,
  contract: Contract,
  views: readonly FactView[],
  { late = false }: { late?: boolean } = {},
): Promise<FactViews> {
  for (const { dates } of views) {
    for (let i = 1; i < dates.length; i++) {
      if (!(dates[i - 1]! < dates[i]!)) throw new RangeError(`loadDayFacts: dates must ascend without repeats (${dates[i - 1]}, ${dates[i]})`);
    }
  }
  const out: FactViews = { views: views.map(() => new Map()), late: [] };
  if (views.every((v) => v.dates.length === 0)) return out;
  const { params, dates, cutIndex } = viewParams(contract, views);
  // each view's days, by the index of the day in `dates`
  const viewDays = views.map((v) => new Map(v.dates.map((d) => [dates.indexOf(d) + 1, emptyDay(d)])));

  const found = await rows<{ part: string; day: string; cut: string; ch: string; v: string[] }>(client, late ? FACTS_AND_LATE_SQL : FACTS_SQL, {
    ...params,
    p: contract.provider_id,
    sl_ms: config.service_level_seconds * 1000,
    families: contract.scope?.intent_families ?? [],
    outcomes: config.detection.switch_outcomes,
    l_ms: config.detection.allowed_lateness_ms,
  });
  for (const { part, day, cut, ch, v } of found) {
    if (part === 'late') {
      const colon = ch.indexOf(':');
      out.late.push({ kind: ch.slice(0, colon) as LateFact['kind'], id: ch.slice(colon + 1), t: Number(v[0]), arrived_ms: Number(v[1]) });
      continue;
    }
    const i = Number(day);
    const c = Number(cut);
    // an additive row counts for every view whose cut is at or after its bucket; active customers for their own cut only
    views.forEach((_, k) => {
      const d = viewDays[k]!.get(i);
      if (d !== undefined && (part === 'active' ? cutIndex[k] === c : cutIndex[k]! >= c)) addPart(d, part, ch, v);
    });
  }
  viewDays.forEach((days, k) => {
    for (const d of days.values()) out.views[k]!.set(d.aggregates.date, d);
  });
  out.late.sort((a, b) => a.arrived_ms - b.arrived_ms || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

/** One part's row of counts, added to its day (a day gets one row per arrival bucket of each part). */
function addPart(d: DayFacts, part: string, ch: string, v: string[]): void {
  const a = d.aggregates;
  const c = d.counters;
  if (part === 'contacts') {
    if (!(ChannelValues as readonly string[]).includes(ch)) return;
    const [offered, answered, abandoned, handle, withinSl, csatCount, csatTop2, csatSum, sales] = v;
    if (count(answered) !== 0) {
      const had = a.contacts[ch as Channel];
      a.contacts[ch as Channel] = { answered: add(had?.answered ?? 0, answered), handle_ms: add(had?.handle_ms ?? 0, handle) };
    }
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
    a.repeats = c.repeats = add(a.repeats, repeats);
    a.switches = add(a.switches, scopeSwitches);
    c.switches = add(c.switches, providerSwitches);
  } else if (part === 'journeys') {
    a.failed_journeys = add(a.failed_journeys, v[0]);
  } else if (part === 'won') {
    a.won_activations = add(a.won_activations, v[0]);
  } else if (part === 'active') {
    a.active_customers = add(a.active_customers, v[0]);
  }
}

/** The facts of `dates` (ascending, no repeats) for one contract, as loadFactViews reads one view. */
export async function loadDayFacts(
  client: ClickHouseClient,
  config: ContractsConfig,
  contract: Contract,
  dates: readonly string[],
  arrivedBefore?: number,
): Promise<Map<string, DayFacts>> {
  return (await loadFactViews(client, config, contract, [{ dates, arrivedBefore }])).views[0]!;
}
