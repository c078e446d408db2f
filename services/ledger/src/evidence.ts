/**
 * The records behind one ledger line (`cxg evidence`): the contacts, signals, journeys or
 * customers a daily line counted, or the daily lines a month-close line summed. The filters are
 * those of the aggregation in aggregate.ts, over the same exact local-day bounds.
 */
import { isInValidity, localDayBounds, monthOf, validityDaysInMonth, type Contract, type ContractsConfig, type LineType } from '@cxg/engine';
import { rows, type ClickHouseClient } from './clickhouse.ts';
import { readLines, type StoredLine } from './ledger.ts';

export interface EvidenceSection {
  title: string;
  /** all matching records; `rows` holds at most the limit */
  total: number;
  rows: Array<Record<string, unknown>>;
}

export interface Evidence {
  contract_id: string;
  date: string;
  line_type: string;
  channel: string | null;
  /** bounds of the local day in UTC */
  from: string;
  to: string;
  /** the ledger lines of that date and type (one per channel for fee lines) */
  lines: StoredLine[];
  sections: EvidenceSection[];
}

/** Times are selected as epoch ms under a `t_` alias (an alias must not shadow the column WHERE uses) and printed as ISO. */
const ms = (col: string, name = col) => `toUnixTimestamp64Milli(${col}) AS t_${name}`;

function isoTimes(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('t_')) out[k.slice(2)] = v === null ? null : new Date(Number(v)).toISOString();
    else out[k] = v;
  }
  return out;
}

async function recordSection(
  client: ClickHouseClient,
  title: string,
  select: string,
  from: string,
  where: string,
  order: string,
  params: Record<string, unknown>,
  limit: number,
): Promise<EvidenceSection> {
  const [n] = await rows<{ n: string }>(client, `SELECT count() AS n FROM ${from} WHERE ${where}`, params);
  const found = await rows<Record<string, unknown>>(client, `SELECT ${select} FROM ${from} WHERE ${where} ORDER BY ${order} LIMIT {limit:UInt32}`, { ...params, limit });
  return { title, total: Number(n?.n ?? 0), rows: found.map(isoTimes) };
}

/** The line types whose evidence lists records with a customer_id (the others list daily lines). */
export const CUSTOMER_LINES: ReadonlySet<string> = new Set(['contact_fee', 'minute_fee', 'upsell_commission', 'gainshare_repeat', 'gainshare_switch', 'won_customer_bonus', 'customer_fee']);

const IN_DAY = (col: string) => `${col} >= fromUnixTimestamp64Milli({start:Int64}, 'UTC') AND ${col} < fromUnixTimestamp64Milli({end:Int64}, 'UTC')`;

const CONTACT_COLS = `event_id, contact_id, customer_id, channel, intent, ${ms('answered_at')}, ${ms('ended_at')},
  (toUnixTimestamp64Milli(ended_at) - toUnixTimestamp64Milli(assumeNotNull(answered_at))) / 1000 AS handle_s, sale_cents`;
const SIGNAL_COLS = `signal_id, kind, customer_id, contact_id, contact_provider_id, contact_channel, ${ms('contact_ended_at')},
  intent_family, prior_id, prior_provider_id, gap_ms`;

/**
 * Evidence for the line(s) of `lineType` on `date` of `contract`; `channel` narrows fee lines.
 * Throws RangeError for a date outside validity.
 */
export async function evidenceFor(
  client: ClickHouseClient,
  config: ContractsConfig,
  contract: Contract,
  date: string,
  lineType: LineType,
  opts: { channel?: string; limit?: number; customer?: string } = {},
): Promise<Evidence> {
  if (!isInValidity(contract, date)) throw new RangeError(`${date} is outside ${contract.id}'s validity ${contract.valid_from}..${contract.valid_to}`);
  if (opts.customer !== undefined && !CUSTOMER_LINES.has(lineType)) throw new RangeError(`${lineType} lists daily lines, not customers' records: a customer cannot narrow it`);
  const limit = opts.limit ?? 50;
  const { start, end } = localDayBounds(date, contract.timezone);
  const p = contract.provider_id;
  const families = contract.scope?.intent_families ?? [];
  const base = { start, end, p, families, outcomes: config.detection.switch_outcomes, channel: opts.channel ?? '', customer: opts.customer ?? '' };
  const lines = (await readLines(client, { contractIds: [contract.id], from: date, to: date, lineTypes: [lineType] })).filter(
    (l) => opts.channel === undefined || l.channel === opts.channel,
  );
  const sections: EvidenceSection[] = [];
  // --customer: every record section narrowed to that customer id (as stored: the pseudonym when ids are pseudonymised)
  const section = (title: string, select: string, from: string, where: string, order: string, params: Record<string, unknown>, n: number) =>
    recordSection(client, opts.customer === undefined ? title : `${title}, customer ${opts.customer}`, select, from,
      opts.customer === undefined ? where : `(${where}) AND customer_id = {customer:String}`, order, params, n);
  const answered = `provider_id = {p:String} AND answered_at IS NOT NULL AND ${IN_DAY('ended_at')}`;
  const channelFilter = opts.channel === undefined ? '' : ' AND channel = {channel:String}';

  switch (lineType) {
    case 'contact_fee':
    case 'minute_fee':
      sections.push(await section(`answered contacts of ${p}${opts.channel ? ` (${opts.channel})` : ''}, ended_at in ${date}`, CONTACT_COLS, 'contacts FINAL', answered + channelFilter, 'ended_at, event_id', base, limit));
      break;
    case 'upsell_commission':
      sections.push(await section(`answered contacts of ${p} with a sale, ended_at in ${date}`, CONTACT_COLS, 'contacts FINAL', `${answered} AND sale_cents > 0`, 'ended_at, event_id', base, limit));
      break;
    case 'gainshare_repeat':
      sections.push(await section(`REPEAT_CONTACT signals charged to ${p} (prior_provider_id), contact_ended_at in ${date}`, SIGNAL_COLS, 'signals FINAL',
        `kind = 'REPEAT_CONTACT' AND prior_provider_id = {p:String} AND ${IN_DAY('contact_ended_at')}`, 'contact_ended_at, signal_id', base, limit));
      sections.push(await section(`answered contacts of ${p} (all channels), ended_at in ${date}`, CONTACT_COLS, 'contacts FINAL', answered, 'ended_at, event_id', base, limit));
      break;
    case 'gainshare_switch':
      sections.push(await section(`CHANNEL_SWITCH signals in scope [${families.join(', ')}], contact_ended_at in ${date}`, SIGNAL_COLS, 'signals FINAL',
        `kind = 'CHANNEL_SWITCH' AND has({families:Array(String)}, intent_family) AND ${IN_DAY('contact_ended_at')}`, 'contact_ended_at, signal_id', base, limit));
      sections.push(await section(`identified journeys with a switch outcome in scope, ended_at in ${date}`,
        `event_id, session_id, customer_id, journey, outcome, ${ms('ended_at')}`, 'journeys FINAL',
        `customer_id IS NOT NULL AND has({outcomes:Array(String)}, outcome) AND has({families:Array(String)}, journey_family) AND ${IN_DAY('ended_at')}`, 'ended_at, event_id', base, limit));
      break;
    case 'won_customer_bonus':
      sections.push(await section(`ACTIVATED events of ${p} won by the provider, occurred_at in ${date}`,
        `event_id, customer_id, ${ms('occurred_at')}`, 'customer_events FINAL',
        `provider_id = {p:String} AND type = 'ACTIVATED' AND won_by_provider AND ${IN_DAY('occurred_at')}`, 'occurred_at, event_id', base, limit));
      break;
    case 'customer_fee': {
      // The latest event per customer before the end of D (ties: greater event_id), kept when it activates p.
      const latest = `(SELECT customer_id, argMax(tuple(type, provider_id, event_id, occurred_at), tuple(occurred_at, event_id)) AS last
        FROM customer_events FINAL WHERE occurred_at < fromUnixTimestamp64Milli({end:Int64}, 'UTC') GROUP BY customer_id)`;
      sections.push(await section(`customers active for ${p} at the end of ${date}`,
        `customer_id, last.3 AS event_id, ${ms('last.4', 'since')}`, latest,
        `last.1 = 'ACTIVATED' AND last.2 = {p:String}`, 'customer_id', base, limit));
      break;
    }
    default: {
      // Month-close lines: the daily lines of the month they were computed from.
      const days = validityDaysInMonth(contract, monthOf(date));
      const types = lineType === 'customer_fee_malus' || lineType === 'customer_floor_malus' ? ['customer_fee'] : ['gainshare_repeat', 'gainshare_switch'];
      const daily = await readLines(client, { contractIds: [contract.id], from: days[0], to: days.at(-1), lineTypes: types });
      sections.push({
        title: `daily ${types.join(' and ')} lines of ${monthOf(date)} (the month-close line's input; gates use the month's KPI counters in its basis)`,
        total: daily.length,
        rows: daily.slice(0, limit).map((l) => ({ date: l.date, line_type: l.line_type, quantity: l.quantity, amount_cents: l.amount_cents, status: l.status })),
      });
    }
  }
  return { contract_id: contract.id, date, line_type: lineType, channel: opts.channel ?? null, from: new Date(start).toISOString(), to: new Date(end).toISOString(), lines, sections };
}
