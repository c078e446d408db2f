/**
 * The alert state machine (docs/kpis.md, "Alerts") over `kpi_thresholds`. Per (contract, provider, KPI,
 * window): OK → BREACHED when the sample reaches min_samples and the value violates the bound
 * (value < min, value > max); BREACHED → OK (RECOVERED) when the sample reaches min_samples and the
 * value is inside the bound by at least clear_margin. Only transitions produce an alert.
 * Comparisons are exact (the KPI as a rational, the bounds as the YAML's decimals), so a value
 * sitting exactly on a bound never flaps on rounding.
 */
import type { KpiAlert } from '../events.generated.ts';
import type { Contract, KpiThreshold } from '../config/types.ts';
import type { Decimal } from '../money/decimal.ts';
import { kpiExact, toCount, type KpiCounters, type ProviderKpi } from '../rating/kpis.ts';
import { contractAt } from '../rating/validity.ts';
import type { KpiWindow } from './buckets.ts';
import { KPI_SAMPLE } from './readings.ts';

export type AlertStatus = 'OK' | 'BREACHED';

/** What is remembered per alert key: the state and how many transitions it has made. */
export interface AlertMemory {
  state: AlertStatus;
  seq: number;
}

const INITIAL_ALERT_MEMORY: Readonly<AlertMemory> = Object.freeze({ state: 'OK', seq: 0 });

export type Transition = 'BREACHED' | 'RECOVERED';

function violates(t: Pick<KpiThreshold, 'min' | 'max'>, value: Decimal): boolean {
  return (t.min !== null && value.lt(t.min)) || (t.max !== null && value.gt(t.max));
}

/** Inside the bound with room to spare: value ≥ min + margin, value ≤ max − margin. */
function clears(t: Pick<KpiThreshold, 'min' | 'max' | 'clear_margin'>, value: Decimal): boolean {
  return (t.min === null || value.gte(t.min.add(t.clear_margin))) && (t.max === null || value.lte(t.max.sub(t.clear_margin)));
}

/** The transition this reading causes from `state`, if any. A null value (no sample) never moves. */
export function nextTransition(t: KpiThreshold, state: AlertStatus, value: Decimal | null, sample: number | bigint): Transition | null {
  if (value === null || BigInt(sample) < BigInt(t.min_samples)) return null;
  if (state === 'OK') return violates(t, value) ? 'BREACHED' : null;
  return clears(t, value) ? 'RECOVERED' : null;
}

function alertKey(contractId: string, providerId: string, kpi: ProviderKpi, window: KpiWindow): string {
  return `${contractId}|${providerId}|${kpi}|${window}`;
}

/** Deterministic per transition, so an alert re-sent after a crash carries the same id. */
export function alertId(key: string, seq: number): string {
  return `${key}|${seq}`;
}

export interface ActiveThreshold {
  contract: Contract;
  threshold: KpiThreshold;
  key: string;
}

/** The thresholds of each provider's contract valid at the watermark, in config order. */
export function activeThresholds(contracts: readonly Contract[], watermarkMs: number): ActiveThreshold[] {
  const out: ActiveThreshold[] = [];
  const providers = [...new Set(contracts.map((c) => c.provider_id))];
  for (const p of providers) {
    const contract = contractAt(contracts, p, watermarkMs);
    if (contract === null) continue;
    for (const threshold of contract.kpi_thresholds) {
      out.push({ contract, threshold, key: alertKey(contract.id, p, threshold.kpi, threshold.window) });
    }
  }
  return out;
}

export interface AlertOutcome {
  key: string;
  alert: KpiAlert;
  next: AlertMemory;
  previous: AlertMemory;
}

export interface AlertEvaluation {
  contracts: readonly Contract[];
  /** The store's watermark; alerts carry it as `at`. */
  watermarkMs: number;
  /** Counters of a provider over a window; undefined when it has none. */
  counters(window: KpiWindow, providerId: string): KpiCounters | undefined;
  memory(key: string): AlertMemory | undefined;
}

/** Evaluates every active threshold and returns the transitions, with the memory to store after each. */
export function evaluateAlerts(input: AlertEvaluation): AlertOutcome[] {
  const out: AlertOutcome[] = [];
  for (const { contract, threshold: t, key } of activeThresholds(input.contracts, input.watermarkMs)) {
    const counters = input.counters(t.window, contract.provider_id);
    if (counters === undefined) continue;
    const previous = input.memory(key) ?? INITIAL_ALERT_MEMORY;
    const value = kpiExact(counters)[t.kpi];
    const sample = toCount(counters[KPI_SAMPLE[t.kpi]], KPI_SAMPLE[t.kpi]);
    const transition = nextTransition(t, previous.state, value, sample);
    if (transition === null || value === null) continue;
    const next: AlertMemory = { state: transition === 'BREACHED' ? 'BREACHED' : 'OK', seq: previous.seq + 1 };
    out.push({
      key,
      previous,
      next,
      alert: {
        alert_id: alertId(key, next.seq),
        provider_id: contract.provider_id,
        contract_id: contract.id,
        kpi: t.kpi,
        window: t.window,
        state: transition,
        value: value.toNumber(),
        bound: (t.min ?? t.max)!.toNumber(),
        sample: Number(sample),
        at: input.watermarkMs,
      },
    });
  }
  return out;
}
