import type { Redis } from 'ioredis';
import { activeThresholds, evaluateAlerts, type AlertMemory, type Contract, type KpiAlert } from '@cxg/engine';
import { LuaScript, type Logger, type ScriptCommand } from '@cxg/platform';
import type { KpiKeys } from './keys.ts';
import type { KpiMetrics } from './metrics.ts';
import type { WindowCounters } from './reader.ts';
import type { AlertWebhook } from './webhook.ts';

type AlertSetKeys = [alerts: string];
type AlertSetArgs = [field: string, expected: string, next: string];
/** Replies 1 when stored, 0 when someone moved the alert since it was read. */
const alertSet = new LuaScript<AlertSetKeys, AlertSetArgs, number>(new URL('./lua/alert_set-1.lua', import.meta.url));

const encode = (m: AlertMemory): string => `${m.state}|${m.seq}`;

function decode(text: string): AlertMemory | undefined {
  const [state, seq] = text.split('|');
  return (state === 'OK' || state === 'BREACHED') && seq !== undefined && /^\d+$/.test(seq) ? { state, seq: Number(seq) } : undefined;
}

/** Alert state per (contract, provider, KPI, window) in one Redis hash: it survives restarts. */
export class AlertStore {
  private readonly compareAndSet: ScriptCommand<AlertSetKeys, AlertSetArgs, number>;

  constructor(
    private readonly redis: Redis,
    private readonly keys: KpiKeys,
  ) {
    this.compareAndSet = alertSet.on(redis);
  }

  async memory(): Promise<Map<string, AlertMemory>> {
    const all = await this.redis.hgetall(this.keys.alerts());
    const out = new Map<string, AlertMemory>();
    for (const [k, v] of Object.entries(all)) {
      const m = decode(v);
      if (m) out.set(k, m);
    }
    return out;
  }

  /** Compare-and-set; false when someone else stored a transition since `previous` was read. */
  async set(key: string, previous: AlertMemory | undefined, next: AlertMemory): Promise<boolean> {
    const expected = previous === undefined || previous.seq === 0 ? '' : encode(previous);
    return (await this.compareAndSet.call([this.keys.alerts()], [key, expected, encode(next)])) === 1;
  }
}

export interface AlerterDeps {
  store: AlertStore;
  contracts: readonly Contract[];
  /** Produces to cx.kpi-alerts.v1 keyed by provider_id (acks=all). */
  emit(alerts: readonly KpiAlert[]): Promise<void>;
  webhook: AlertWebhook | null;
  metrics: KpiMetrics;
  log: Logger;
}

/**
 * Evaluates kpi_thresholds over fresh window counters. Per transition: produce the alert, then store
 * the new state. A crash in between re-evaluates from the old state and re-sends the same alert_id
 * (ids are key|transition number), so consumers see each transition at least once under one id.
 */
export class Alerter {
  constructor(private readonly deps: AlerterDeps) {}

  async evaluate(counters: WindowCounters): Promise<KpiAlert[]> {
    const { store, contracts, metrics, log } = this.deps;
    const memory = await store.memory();
    const outcomes = evaluateAlerts({
      contracts,
      watermarkMs: counters.watermarkMs,
      counters: (window, provider) => counters.windows.get(window)?.providers.get(provider),
      memory: (key) => memory.get(key),
    });
    if (outcomes.length > 0) await this.deps.emit(outcomes.map((o) => o.alert));
    const sent: KpiAlert[] = [];
    for (const o of outcomes) {
      this.deps.webhook?.send(o.alert);
      if (await store.set(o.key, memory.get(o.key), o.next)) {
        memory.set(o.key, o.next);
        sent.push(o.alert);
        log.info({ alert_id: o.alert.alert_id, state: o.alert.state, value: o.alert.value, bound: o.alert.bound, sample: o.alert.sample }, 'kpi alert');
      }
    }
    for (const { contract, threshold, key } of activeThresholds(contracts, counters.watermarkMs)) {
      const labels = { provider: contract.provider_id, kpi: threshold.kpi, window: threshold.window, contract: contract.id };
      metrics.breached.set(labels, memory.get(key)?.state === 'BREACHED' ? 1 : 0);
    }
    return sent;
  }
}
