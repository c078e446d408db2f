import type { KpiAlert } from '@cxg/engine';
import type { Logger } from '@cxg/platform';

export interface WebhookOptions {
  url: string;
  log: Logger;
  retries?: number;
  timeoutMs?: number;
  backoffMs?: number;
  fetch?: typeof fetch;
}

/**
 * Best-effort delivery of alerts to a webhook (JSON POST of the KpiAlert). Sends run in the
 * background so a slow receiver never holds up alert evaluation or the pipeline: a few retries
 * with doubling backoff, each attempt bounded by a timeout, then the failure is logged.
 * cx.kpi-alerts.v1 stays the record of truth; receivers dedupe by alert_id.
 */
export class AlertWebhook {
  private readonly pending = new Set<Promise<void>>();
  private readonly retries: number;
  private readonly timeoutMs: number;
  private readonly backoffMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: WebhookOptions) {
    this.retries = opts.retries ?? 3;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.backoffMs = opts.backoffMs ?? 500;
    this.fetchFn = opts.fetch ?? fetch;
  }

  send(alert: KpiAlert): void {
    const p = this.deliver(alert).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves when every send in flight finished, or after `timeoutMs` at the latest. */
  async drain(timeoutMs = 2000): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async deliver(alert: KpiAlert): Promise<void> {
    const { log } = this.opts;
    let lastError = '';
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
      try {
        const res = await this.fetchFn(this.opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (res.ok) return;
        lastError = `HTTP ${res.status}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
    }
    log.warn({ alert_id: alert.alert_id, attempts: this.retries + 1, error: lastError }, 'alert webhook delivery failed; the alert is on cx.kpi-alerts.v1');
  }
}
