/**
 * Contract math of docs/accruals.md, exactly: daily lines from per-day aggregates and
 * month-close lines from the month's daily lines. Exact rationals throughout, rounded half
 * away from zero once per line. Every configured line is always emitted, zero or not: the
 * ledger replaces lines by accrual_id, so a re-rated day must produce the same set of ids
 * (a line that dropped to 0 and vanished would leave its old amount standing).
 */
import { ChannelValues } from '../events.generated.ts';
import type { Channel } from '../events.generated.ts';
import type { Contract, KpiGate } from '../config/types.ts';
import { Decimal, INT64_MAX, fitsInt64 } from '../money/decimal.ts';
import { daysInMonth, isValidDate, monthOf } from './calendar.ts';
import { kpiExact, toCount } from './kpis.ts';
import type { KpiCounters } from './kpis.ts';
import type { AccrualLine, Basis, BasisValue, Count, DayAggregates, LineType } from './types.ts';
import { isInValidity, validityDaysInMonth } from './validity.ts';

const MINUTE_MS = 60_000n;
const HUNDRED = Decimal.fromInteger(100);

export function accrualId(contractId: string, date: string, lineType: LineType, channel: Channel | null): string {
  return `${contractId}:${date}:${lineType}:${channel ?? '-'}`;
}

/** The ledger's `quantity Decimal(38, 4)`: |quantity| × 10^4 must stay below 10^38. */
const QUANTITY_SCALED_LIMIT = 10n ** 38n;

/**
 * A line that cannot be booked: its amount lies beyond the signed 64-bit range of cents (or its
 * quantity beyond the ledger's Decimal(38, 4)). Valid input can get there (a day's Σ sale_cents
 * has no bound), so it is an error about the input, named by contract, day and line, never a
 * wrapped or rounded number.
 */
export class LineRangeError extends RangeError {
  override readonly name = 'LineRangeError';
  constructor(
    readonly contract_id: string,
    readonly date: string,
    readonly line_type: LineType,
    readonly channel: Channel | null,
    readonly field: 'amount_cents' | 'quantity',
    /** the exact value that does not fit: integer cents, or the 4-decimal quantity */
    readonly value: string,
  ) {
    const what =
      field === 'amount_cents'
        ? `amount ${value} cents is beyond the signed 64-bit range of cents (±${INT64_MAX})`
        : `quantity ${value} is beyond the ledger's Decimal(38, 4)`;
    super(`contract ${contract_id}, day ${date}, line ${lineType(line_type, channel)}: ${what}`);
  }

  /** A stable label for metrics: `amount_out_of_range` or `quantity_out_of_range`. */
  get reason(): 'amount_out_of_range' | 'quantity_out_of_range' {
    return this.field === 'amount_cents' ? 'amount_out_of_range' : 'quantity_out_of_range';
  }
}

const lineType = (t: LineType, channel: Channel | null) => (channel ? `${t} ${channel}` : t);

/** JSON-safe count for a basis: a number while exact, else decimal text. */
function jsonInt(n: bigint): number | string {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

function line(
  contract: Contract,
  date: string,
  lineType: LineType,
  channel: Channel | null,
  quantity: Decimal,
  exactCents: Decimal,
  basis: Basis,
): AccrualLine {
  const cents = exactCents.roundHalfAwayFromZero();
  if (!fitsInt64(cents)) throw new LineRangeError(contract.id, date, lineType, channel, 'amount_cents', cents.toString());
  const q = quantity.toFixed(4);
  const scaled = BigInt(q.replace('.', ''));
  if (scaled >= QUANTITY_SCALED_LIMIT || -scaled >= QUANTITY_SCALED_LIMIT) throw new LineRangeError(contract.id, date, lineType, channel, 'quantity', q);
  return {
    accrual_id: accrualId(contract.id, date, lineType, channel),
    contract_id: contract.id,
    provider_id: contract.provider_id,
    date,
    line_type: lineType,
    channel,
    quantity: q,
    amount_cents: cents,
    currency: contract.currency,
    basis: { ...basis, unrounded_cents: exactCents.toString() },
  };
}

const count = (v: Count, name: string): bigint => toCount(v, name);
const D = (n: bigint | number): Decimal => (typeof n === 'bigint' ? Decimal.fromBigInt(n) : Decimal.fromInteger(n));

/** Gainshare of one kind: avoided = baseline × base − actual, clamped at 0 without painshare. */
function gainshareLine(
  contract: Contract,
  date: string,
  lineType: 'gainshare_repeat' | 'gainshare_switch',
  baseline: Decimal,
  base: { name: string; value: bigint },
  actual: { name: string; value: bigint },
  extra: Basis = {},
): AccrualLine {
  const g = contract.gainshare!;
  const raw = baseline.mul(D(base.value)).sub(D(actual.value));
  const avoided = g.painshare || raw.sign() >= 0 ? raw : Decimal.ZERO;
  const exact = avoided.mul(g.cost_per_contact_cents).mul(g.provider_share);
  return line(contract, date, lineType, null, avoided, exact, {
    [base.name]: jsonInt(base.value),
    [actual.name]: jsonInt(actual.value),
    baseline_rate: baseline.toString(),
    avoided: raw.toString(),
    painshare: g.painshare,
    cost_per_contact_cents: g.cost_per_contact_cents,
    provider_share: g.provider_share.toString(),
    ...extra,
  });
}

/**
 * The daily lines of `contract` for local day `day.date` (docs/accruals.md, "Daily lines").
 * Throws RangeError for a day outside validity or a negative / non-integer count, and
 * LineRangeError for a line whose amount does not fit the signed 64-bit range of cents.
 */
export function rateDay(contract: Contract, day: DayAggregates): AccrualLine[] {
  const date = day.date;
  if (!isValidDate(date)) throw new RangeError(`rateDay: not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  if (!isInValidity(contract, date)) {
    throw new RangeError(`rateDay: ${date} is outside ${contract.id}'s validity ${contract.valid_from}..${contract.valid_to}`);
  }
  const perChannel = new Map<Channel, { answered: bigint; handle_ms: bigint }>();
  let answeredAll = 0n;
  for (const ch of ChannelValues) {
    const a = day.contacts[ch];
    const v = { answered: a ? count(a.answered, `contacts.${ch}.answered`) : 0n, handle_ms: a ? count(a.handle_ms, `contacts.${ch}.handle_ms`) : 0n };
    perChannel.set(ch, v);
    answeredAll += v.answered;
  }
  const lines: AccrualLine[] = [];

  const t = contract.transactional;
  if (t) {
    for (const ch of ChannelValues) {
      const rate = t.per_contact_cents[ch];
      if (rate === undefined) continue;
      const { answered } = perChannel.get(ch)!;
      lines.push(line(contract, date, 'contact_fee', ch, D(answered), D(answered).mul(rate), { answered: jsonInt(answered), per_contact_cents: rate }));
    }
    for (const ch of ChannelValues) {
      const rate = t.per_minute_cents[ch];
      if (rate === undefined) continue;
      const { answered, handle_ms } = perChannel.get(ch)!;
      const minutes = Decimal.ratio(handle_ms, MINUTE_MS);
      lines.push(
        line(contract, date, 'minute_fee', ch, minutes, minutes.mul(rate), {
          answered: jsonInt(answered),
          handle_ms: jsonInt(handle_ms),
          per_minute_cents: rate,
        }),
      );
    }
  }

  const g = contract.gainshare;
  if (g?.baseline.repeat_rate) {
    lines.push(
      gainshareLine(contract, date, 'gainshare_repeat', g.baseline.repeat_rate, { name: 'answered', value: answeredAll }, { name: 'repeats', value: count(day.repeats, 'repeats') }),
    );
  }
  // The switch gainshare is about the contract's families, so it needs a scope (docs/accruals.md).
  if (g?.baseline.switch_rate && contract.scope) {
    lines.push(
      gainshareLine(
        contract,
        date,
        'gainshare_switch',
        g.baseline.switch_rate,
        { name: 'failed_journeys', value: count(day.failed_journeys, 'failed_journeys') },
        { name: 'switches', value: count(day.switches, 'switches') },
        { intent_families: [...contract.scope.intent_families] },
      ),
    );
  }

  const pc = contract.per_customer;
  if (pc?.monthly_fee_cents != null) {
    const active = count(day.active_customers, 'active_customers');
    const days = daysInMonth(monthOf(date));
    lines.push(
      line(contract, date, 'customer_fee', null, D(active), D(active).mul(pc.monthly_fee_cents).div(days), {
        active_customers: jsonInt(active),
        monthly_fee_cents: pc.monthly_fee_cents,
        days_in_month: days,
      }),
    );
  }
  if (pc?.won_customer_bonus_cents != null) {
    const won = count(day.won_activations, 'won_activations');
    lines.push(
      line(contract, date, 'won_customer_bonus', null, D(won), D(won).mul(pc.won_customer_bonus_cents), {
        won_activations: jsonInt(won),
        won_customer_bonus_cents: pc.won_customer_bonus_cents,
      }),
    );
  }

  if (contract.upsell) {
    const sales = count(day.sale_cents, 'sale_cents');
    const pct = contract.upsell.commission_pct;
    lines.push(line(contract, date, 'upsell_commission', null, D(sales), D(sales).mul(pct).div(HUNDRED), { sale_cents: jsonInt(sales), commission_pct: pct.toString() }));
  }
  return lines;
}

export interface GateResult {
  kpi: KpiGate['kpi'];
  min: Decimal | null;
  max: Decimal | null;
  /** exact KPI value over the month; null when its denominator is 0 */
  value: Decimal | null;
  passed: boolean;
}

/** Every gate must pass; a null KPI fails (no evidence, no bonus). Comparison is exact. */
export function evaluateGates(gates: readonly KpiGate[], counters: KpiCounters): { passed: boolean; results: GateResult[] } {
  const values = kpiExact(counters);
  const results = gates.map((g): GateResult => {
    const value = values[g.kpi];
    const passed = value !== null && (g.min === null || value.gte(g.min)) && (g.max === null || value.lte(g.max));
    return { kpi: g.kpi, min: g.min, max: g.max, value, passed };
  });
  return { passed: results.every((r) => r.passed), results };
}

function gatesBasis(results: readonly GateResult[]): BasisValue {
  return results.map((r) => ({
    kpi: r.kpi,
    ...(r.min !== null ? { min: r.min.toString() } : {}),
    ...(r.max !== null ? { max: r.max.toString() } : {}),
    // 6 decimals for reading; the comparison above was exact.
    value: r.value === null ? null : r.value.toFixed(6),
    passed: r.passed,
  }));
}

function countersBasis(c: KpiCounters): Basis {
  const out: Basis = {};
  for (const [k, v] of Object.entries(c) as [keyof KpiCounters, Count][]) out[k] = jsonInt(toCount(v, k));
  return out;
}

/**
 * Month-close lines of `contract` for `month` (YYYY-MM; docs/accruals.md, "Month-close lines"), dated
 * the last day of the month inside validity.
 *
 * - `dailyLines`: the contract's rateDay lines of the month's days inside validity (any
 *   order); G and Σ customer_fee are summed from them.
 * - `monthCounters`: section 3 counters of provider p over the month's days inside validity
 *   (contacts by ended_at, signals by contact_ended_at), for the quality gates.
 * - `dailyActiveCounts`: active customers at the end of each day of the month inside validity.
 *
 * Emits gainshare_cap when a cap is set, gainshare_quality_gate when gates are set,
 * customer_fee_malus when a quality_malus is set, customer_floor_malus when a floor is set,
 * each with amount 0 when not triggered. Throws on lines of another contract or day, on a
 * repeated accrual_id, or on a missing daily active count.
 */
export function closeMonth(
  contract: Contract,
  month: string,
  dailyLines: readonly AccrualLine[],
  monthCounters: KpiCounters,
  dailyActiveCounts: Readonly<Record<string, Count>>,
): AccrualLine[] {
  const days = validityDaysInMonth(contract, month);
  const closeDate = days.at(-1);
  if (closeDate === undefined) throw new RangeError(`closeMonth: ${month} has no day inside ${contract.id}'s validity`);
  const daySet = new Set(days);

  let gainshare = 0n;
  let customerFees = 0n;
  const seen = new Set<string>();
  for (const l of dailyLines) {
    if (l.contract_id !== contract.id || !daySet.has(l.date)) {
      throw new RangeError(`closeMonth: line ${l.accrual_id} is not a line of ${contract.id} in ${month} inside validity`);
    }
    if (seen.has(l.accrual_id)) throw new RangeError(`closeMonth: line ${l.accrual_id} given twice`);
    seen.add(l.accrual_id);
    if (l.line_type === 'gainshare_repeat' || l.line_type === 'gainshare_switch') gainshare += l.amount_cents;
    if (l.line_type === 'customer_fee') customerFees += l.amount_cents;
  }

  const zero = Decimal.ZERO;
  const lines: AccrualLine[] = [];
  const g = contract.gainshare;
  const cap = g?.monthly_cap_cents ?? null;
  if (g && cap !== null) {
    const over = gainshare > BigInt(cap) ? BigInt(cap) - gainshare : 0n;
    lines.push(line(contract, closeDate, 'gainshare_cap', null, zero, D(over), { gainshare_cents: jsonInt(gainshare), monthly_cap_cents: cap, days: days.length }));
  }
  if (g && g.quality_gate.length > 0) {
    const { passed, results } = evaluateGates(g.quality_gate, monthCounters);
    // Forfeit what would be paid: positive gainshare after the cap; a negative G is never waived.
    const payable = cap === null ? gainshare : gainshare < BigInt(cap) ? gainshare : BigInt(cap);
    const amount = passed ? 0n : -(payable > 0n ? payable : 0n);
    lines.push(
      line(contract, closeDate, 'gainshare_quality_gate', null, zero, D(amount), {
        passed,
        gates: gatesBasis(results),
        gainshare_cents: jsonInt(gainshare),
        monthly_cap_cents: cap,
        counters: countersBasis(monthCounters),
      }),
    );
  }

  const pc = contract.per_customer;
  if (pc?.quality_malus) {
    const { passed, results } = evaluateGates(pc.quality_malus.gate, monthCounters);
    const exact = passed ? zero : D(customerFees).mul(pc.quality_malus.pct).div(HUNDRED);
    // −round(x) = round(−x) under half-away-from-zero, so negate before the single rounding.
    lines.push(
      line(contract, closeDate, 'customer_fee_malus', null, zero, exact.neg(), {
        passed,
        gates: gatesBasis(results),
        customer_fee_cents: jsonInt(customerFees),
        pct: pc.quality_malus.pct.toString(),
        counters: countersBasis(monthCounters),
      }),
    );
  }
  if (pc?.min_active_customers != null) {
    let sum = 0n;
    for (const d of days) {
      const v = dailyActiveCounts[d];
      if (v === undefined) throw new RangeError(`closeMonth: no active customer count for ${d}`);
      sum += toCount(v, `dailyActiveCounts[${d}]`);
    }
    const avg = Decimal.ratio(sum, BigInt(days.length));
    const min = D(pc.min_active_customers);
    const fee = pc.monthly_fee_cents ?? 0;
    const exact = avg.lt(min) ? min.sub(avg).mul(fee).neg() : zero;
    lines.push(
      line(contract, closeDate, 'customer_floor_malus', null, zero, exact, {
        days: days.length,
        active_customer_days: jsonInt(sum),
        avg_active_customers: avg.toString(),
        min_active_customers: pc.min_active_customers,
        monthly_fee_cents: fee,
      }),
    );
  }
  return lines;
}
