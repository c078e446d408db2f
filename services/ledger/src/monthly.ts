/**
 * Month KPI counters per provider (`monthly_kpis`, docs/replay.md): the docs/kpis.md counters over every
 * provider's contacts (by ended_at) and signals (by contact_ended_at) per calendar month of a
 * time zone (the top-level one), from the facts in ClickHouse. Month bounds are exact UTC ms
 * computed by the engine, like the days of rating.
 */
import { addKpiCounters, compareCodePoints, emptyKpiCounters, localDateOf, monthsBetween, nextMonth, startOfLocalDay, type KpiCounters } from '@cxg/engine';
import { count, rows, type ClickHouseClient } from './clickhouse.ts';

export interface ProviderMonth {
  provider_id: string;
  /** YYYY-MM */
  month: string;
  counters: KpiCounters;
}

type Row = Record<string, string | null | undefined>;

const MONTH_INDEX = `if((arrayFirstIndex(e -> t < e, {ends:Array(Int64)}) AS j) > 0 AND t >= {starts:Array(Int64)}[j], j, 0)`;

// Sums in Int128: sum() of Int64 wraps silently, and a month's Σ sale_cents can pass 2^63.
const CONTACTS_SQL = `
SELECT provider_id, i,
       count() AS offered,
       countIf(is_answered) AS answered_n,
       countIf(NOT is_answered) AS abandoned,
       sumIf(toInt128(t - a), is_answered) AS handle_ms,
       countIf(channel = 'PHONE') AS phone_offered,
       countIf(channel = 'PHONE' AND is_answered AND a - s <= {sl_ms:Int64}) AS phone_within_sl,
       countIf(channel = 'PHONE' AND is_answered) AS answered_phone,
       countIf(is_answered AND csat IS NOT NULL) AS csat_count,
       countIf(is_answered AND csat >= 4) AS csat_top2,
       sumIf(toUInt64(ifNull(csat, 0)), is_answered) AS csat_sum,
       sumIf(toInt128(sale_cents), is_answered) AS sales
FROM (
    SELECT provider_id, channel, csat, sale_cents,
           answered_at IS NOT NULL AS is_answered,
           toUnixTimestamp64Milli(started_at) AS s,
           toUnixTimestamp64Milli(ended_at) AS t,
           toUnixTimestamp64Milli(ifNull(answered_at, ended_at)) AS a,
           ${MONTH_INDEX} AS i
    FROM contacts FINAL
)
WHERE i > 0
GROUP BY provider_id, i`;

const SIGNALS_SQL = `
SELECT provider_id, i, sum(r) AS repeats, sum(w) AS switches
FROM (
    SELECT if(kind = 'REPEAT_CONTACT', ifNull(prior_provider_id, ''), contact_provider_id) AS provider_id,
           kind = 'REPEAT_CONTACT' AS r, kind = 'CHANNEL_SWITCH' AS w,
           toUnixTimestamp64Milli(contact_ended_at) AS t,
           ${MONTH_INDEX} AS i
    FROM signals FINAL
)
WHERE i > 0 AND provider_id != ''
GROUP BY provider_id, i`;

/** Counters of every provider and month (in `timeZone`) that has contacts, ordered by provider then month. */
export async function monthlyKpiCounters(client: ClickHouseClient, timeZone: string, serviceLevelSeconds: number): Promise<ProviderMonth[]> {
  const [span] = await rows<{ n: string; lo: string; hi: string }>(
    client,
    'SELECT count() AS n, toUnixTimestamp64Milli(min(ended_at)) AS lo, toUnixTimestamp64Milli(max(ended_at)) AS hi FROM contacts',
  );
  if (!span || span.n === '0') return [];
  const months = monthsBetween(localDateOf(Number(span.lo), timeZone), localDateOf(Number(span.hi), timeZone));
  const starts = months.map((m) => startOfLocalDay(`${m}-01`, timeZone));
  const ends = months.map((m) => startOfLocalDay(`${nextMonth(m)}-01`, timeZone));
  const out = new Map<string, ProviderMonth>();
  const at = (provider: string, i: string | null | undefined): ProviderMonth => {
    const month = months[Number(i) - 1]!;
    const key = `${provider}\u0000${month}`;
    let pm = out.get(key);
    if (!pm) out.set(key, (pm = { provider_id: provider, month, counters: emptyKpiCounters() }));
    return pm;
  };
  for (const r of await rows<Row>(client, CONTACTS_SQL, { starts, ends, sl_ms: serviceLevelSeconds * 1000 })) {
    const pm = at(r.provider_id!, r.i);
    pm.counters = addKpiCounters(pm.counters, {
      ...emptyKpiCounters(),
      offered: count(r.offered),
      answered: count(r.answered_n),
      abandoned: count(r.abandoned),
      phone_offered: count(r.phone_offered),
      phone_within_sl: count(r.phone_within_sl),
      answered_phone: count(r.answered_phone),
      handle_ms: count(r.handle_ms),
      csat_count: count(r.csat_count),
      csat_top2: count(r.csat_top2),
      csat_sum: count(r.csat_sum),
      sale_cents: count(r.sales),
    });
  }
  const withContacts = new Set(out.keys());
  for (const r of await rows<Row>(client, SIGNALS_SQL, { starts, ends })) {
    const key = `${r.provider_id}\u0000${months[Number(r.i) - 1]}`;
    // Only providers and months with contacts are reported (docs/replay.md).
    if (!withContacts.has(key)) continue;
    const pm = out.get(key)!;
    pm.counters = addKpiCounters(pm.counters, { ...emptyKpiCounters(), repeats: count(r.repeats), switches: count(r.switches) });
  }
  return [...out.values()].sort((a, b) => compareCodePoints(a.provider_id, b.provider_id) || compareCodePoints(a.month, b.month));
}
