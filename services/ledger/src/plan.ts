/**
 * Which (contract, local day)s to rate, decided without I/O: the days a new fact touches, the
 * days the watermark brings into range or makes final, and the months it closes. Rating then
 * recomputes those days from all facts, so planning a day too many costs time, never money.
 */
import {
  TOPICS,
  accrualStatus,
  addDays,
  datesBetween,
  family,
  isInValidity,
  isMonthClosed,
  localDateOf,
  monthOf,
  ratableDates,
  validityDaysInMonth,
  type ContactEvent,
  type Contract,
  type ContractsConfig,
  type CustomerEvent,
  type InputEvent,
  type InputTopic,
  type JourneySignal,
  type WebJourneyEvent,
} from '@cxg/engine';

/** Dates to rate per contract id. */
export class DirtyDays {
  private readonly byContract = new Map<string, Set<string>>();

  add(contractId: string, date: string): void {
    let s = this.byContract.get(contractId);
    if (!s) this.byContract.set(contractId, (s = new Set()));
    s.add(date);
  }

  addAll(contractId: string, dates: Iterable<string>): void {
    for (const d of dates) this.add(contractId, d);
  }

  dates(contractId: string): string[] {
    return [...(this.byContract.get(contractId) ?? [])].sort();
  }

  get size(): number {
    let n = 0;
    for (const s of this.byContract.values()) n += s.size;
    return n;
  }
}

function touchAt(dirty: DirtyDays, contract: Contract, utcMs: number): void {
  const date = localDateOf(utcMs, contract.timezone);
  if (isInValidity(contract, date)) dirty.add(contract.id, date);
}

const hasCustomerTerms = (c: Contract) => c.per_customer !== null;

/**
 * Marks the days an accepted record changes. A contact: its provider's day (fees, gainshare
 * base, gate KPIs). A failed identified journey: the day of every contract whose scope holds its
 * family. A customer event: every day from its own up to the watermark's, for each contract with
 * customer terms, since a customer changing hands changes the active counts of both providers.
 */
export function touchByEvent(dirty: DirtyDays, config: ContractsConfig, topic: InputTopic, event: InputEvent, watermarkMs: number): void {
  for (const c of config.contracts) {
    if (topic === TOPICS.contacts) {
      const e = event as ContactEvent;
      if (c.provider_id === e.provider_id) touchAt(dirty, c, e.ended_at);
    } else if (topic === TOPICS.web) {
      const e = event as WebJourneyEvent;
      if (e.customer_id !== null && config.detection.switch_outcomes.includes(e.outcome) && c.scope?.intent_families.includes(family(e.journey))) {
        touchAt(dirty, c, e.ended_at);
      }
    } else if (hasCustomerTerms(c)) {
      const e = event as CustomerEvent;
      const from = localDateOf(e.occurred_at, c.timezone);
      const to = localDateOf(Math.max(watermarkMs, e.occurred_at), c.timezone);
      dirty.addAll(c.id, datesBetween(from > c.valid_from ? from : c.valid_from, to < c.valid_to ? to : c.valid_to));
    }
  }
}

/** A signal changes repeats of the prior's provider, switches of the contact's provider and of every scope holding its family. */
export function touchBySignal(dirty: DirtyDays, config: ContractsConfig, s: JourneySignal): void {
  for (const c of config.contracts) {
    const inScope = s.kind === 'CHANNEL_SWITCH' && (c.scope?.intent_families.includes(s.intent_family) ?? false);
    if (c.provider_id === s.prior_provider_id || c.provider_id === s.contact_provider_id || inScope) touchAt(dirty, c, s.contact_ended_at);
  }
}

/**
 * Days whose lines a watermark move from `from` to `to` changes without any new fact: days
 * newly up to the watermark's day (first rating of a day), days whose status turns final, and
 * one day of each month it closes (rating widens a closed month to all its days).
 */
export function watermarkDays(contract: Contract, from: number | null, to: number, latenessMs: number): string[] {
  if (from !== null && to <= from) return [];
  const ratable = ratableDates(contract, to);
  if (from === null) return ratable;
  const out = new Set<string>();
  const fromDay = localDateOf(from, contract.timezone);
  // A day turns final when end(D) + L passes; D ends after from − L, so start one day before it.
  const firstFlip = addDays(localDateOf(from - latenessMs, contract.timezone), -1);
  for (const d of ratable) {
    if (d > fromDay) out.add(d);
    else if (d >= firstFlip && accrualStatus(contract, d, from, latenessMs) !== accrualStatus(contract, d, to, latenessMs)) out.add(d);
  }
  for (const month of new Set(ratable.filter((d) => d >= firstFlip).map(monthOf))) {
    if (isMonthClosed(contract, month, to, latenessMs) && !isMonthClosed(contract, month, from, latenessMs)) {
      const first = validityDaysInMonth(contract, month)[0];
      if (first !== undefined) out.add(first);
    }
  }
  return [...out].sort();
}

/** One unit of rating work: some days of one month of one contract. */
export interface RatingChunk {
  contract: Contract;
  month: string;
  /** ascending local dates to rate */
  dates: string[];
  /** the month is closed: dates are all its days inside validity, and month-close lines follow */
  close: boolean;
}

/**
 * Splits the dates to rate into per-month chunks, keeping only days inside validity up to the
 * watermark's day. A closed month is rated whole: its close lines depend on every day of it.
 */
export function planRating(contract: Contract, dates: Iterable<string>, watermarkMs: number, latenessMs: number): RatingChunk[] {
  const ratable = new Set(ratableDates(contract, watermarkMs));
  const byMonth = new Map<string, Set<string>>();
  for (const d of dates) {
    if (!ratable.has(d)) continue;
    const m = monthOf(d);
    let s = byMonth.get(m);
    if (!s) byMonth.set(m, (s = new Set()));
    s.add(d);
  }
  return [...byMonth.keys()].sort().map((month) => {
    const close = isMonthClosed(contract, month, watermarkMs, latenessMs);
    const dates = close ? validityDaysInMonth(contract, month) : [...byMonth.get(month)!].sort();
    return { contract, month, dates, close };
  });
}
