/** Which days and months of a contract are rated, and when their lines become final. */
import type { Contract } from '../config/types.ts';
import { datesBetween, lastDayOfMonth, monthsBetween } from './calendar.ts';
import { endOfLocalDay, localDateOf } from './localtime.ts';

export type AccrualStatus = 'provisional' | 'final';

export function isInValidity(contract: Pick<Contract, 'valid_from' | 'valid_to'>, date: string): boolean {
  return contract.valid_from <= date && date <= contract.valid_to;
}

/** Days of `month` (YYYY-MM) inside the contract's validity, in order (maybe none). */
export function validityDaysInMonth(contract: Pick<Contract, 'valid_from' | 'valid_to'>, month: string): string[] {
  const first = `${month}-01`;
  const last = lastDayOfMonth(month);
  return datesBetween(first > contract.valid_from ? first : contract.valid_from, last < contract.valid_to ? last : contract.valid_to);
}

/** The date month-close lines carry: the last day of `month` inside validity, or null. */
export function monthCloseDate(contract: Pick<Contract, 'valid_from' | 'valid_to'>, month: string): string | null {
  return validityDaysInMonth(contract, month).at(-1) ?? null;
}

/** Every month that has at least one day inside validity. */
export function contractMonths(contract: Pick<Contract, 'valid_from' | 'valid_to'>): string[] {
  return monthsBetween(contract.valid_from, contract.valid_to);
}

/** Days inside validity up to the local day of the watermark (docs/accruals.md); none before the first event. */
export function ratableDates(contract: Pick<Contract, 'valid_from' | 'valid_to' | 'timezone'>, watermarkMs: number | null): string[] {
  if (watermarkMs === null) return [];
  const today = localDateOf(watermarkMs, contract.timezone);
  return datesBetween(contract.valid_from, today < contract.valid_to ? today : contract.valid_to);
}

/** `final` once the watermark is at or after the end of D plus the allowed lateness. */
export function accrualStatus(contract: Pick<Contract, 'timezone'>, date: string, watermarkMs: number, allowedLatenessMs: number): AccrualStatus {
  return watermarkMs >= endOfLocalDay(date, contract.timezone) + allowedLatenessMs ? 'final' : 'provisional';
}

/** A month closes once the watermark passes the end of its last day inside validity plus L. */
export function isMonthClosed(
  contract: Pick<Contract, 'valid_from' | 'valid_to' | 'timezone'>,
  month: string,
  watermarkMs: number,
  allowedLatenessMs: number,
): boolean {
  const last = monthCloseDate(contract, month);
  return last !== null && watermarkMs >= endOfLocalDay(last, contract.timezone) + allowedLatenessMs;
}

/** The contract of `providerId` valid on the local date of `utcMs` (in each contract's zone), if any. */
export function contractAt(contracts: readonly Contract[], providerId: string, utcMs: number): Contract | null {
  return contracts.find((c) => c.provider_id === providerId && isInValidity(c, localDateOf(utcMs, c.timezone))) ?? null;
}
