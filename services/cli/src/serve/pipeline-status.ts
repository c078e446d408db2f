/**
 * The pipeline as its workers report it on their metrics ports (README "Operations"): consumer lag
 * per topic, DLQ records per topic and reason, dependencies up, readiness. One worker not answering
 * is that worker shown down, never an error of the page.
 */
import type { WorkerName } from '@cxg/platform';
import { metricSamples, sumBy } from './metrics-text.ts';

export const WORKER_NAMES: readonly WorkerName[] = ['detector', 'kpi', 'accruals'];

/** A short timeout: the page refreshes every few seconds, and a hung port must not hold it. */
const TIMEOUT_MS = 3_000;

export interface WorkerStatus {
  worker: WorkerName;
  url: string;
  up: boolean;
  /** Why it is shown down (no answer, not that worker, ...). */
  error: string | null;
  /** /readyz: null when it did not answer. */
  ready: boolean | null;
  ready_reasons: string[];
  /** Records between the committed offset and the log end, summed per topic (cx_consumer_lag). */
  lag: Record<string, number>;
  lag_total: number;
  /** Records dead-lettered since the worker started (cx_dlq_total), per topic and reason. */
  dlq: Array<{ topic: string; reason: string; count: number }>;
  dlq_total: number;
  /** cx_dependency_up: 1 answering, 0 not. */
  dependencies: Record<string, boolean>;
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  return { status: res.status, text: await res.text() };
}

function reasonOf(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

const down = (worker: WorkerName, url: string, error: string): WorkerStatus => ({
  worker, url, up: false, error, ready: null, ready_reasons: [], lag: {}, lag_total: 0, dlq: [], dlq_total: 0, dependencies: {},
});

/** What the worker at `url` (http://host:port, its METRICS_PORT) reports. */
export async function readWorker(worker: WorkerName, url: string): Promise<WorkerStatus> {
  let metrics: { status: number; text: string };
  try {
    metrics = await get(`${url}/metrics`);
  } catch (err) {
    return down(worker, url, `no answer at ${url} (${reasonOf(err)})`);
  }
  if (metrics.status !== 200) return down(worker, url, `${url}/metrics answered ${metrics.status}`);
  // Every worker's registry labels its series worker="<name>": a port answering for another
  // worker (METRICS_PORT set once for all three) would show that worker's figures under this name.
  const named = metricSamples(metrics.text, 'process_cpu_seconds_total')[0]?.labels.worker;
  if (named !== undefined && named !== worker) return down(worker, url, `${url} is the ${named} worker's port, not the ${worker} worker's`);

  let ready: boolean | null = null;
  let reasons: string[] = [];
  try {
    const r = await get(`${url}/readyz`);
    ready = r.status === 200;
    const body = JSON.parse(r.text) as { reasons?: unknown };
    if (Array.isArray(body.reasons)) reasons = body.reasons.map(String);
  } catch {
    ready = null;
  }
  const lag = Object.fromEntries(sumBy(metrics.text, 'cx_consumer_lag', 'topic'));
  const dlq = metricSamples(metrics.text, 'cx_dlq_total')
    .map((s) => ({ topic: s.labels.topic ?? '', reason: s.labels.reason ?? '', count: s.value }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  const dependencies = Object.fromEntries(metricSamples(metrics.text, 'cx_dependency_up').map((s) => [s.labels.dependency ?? '', s.value === 1]));
  return {
    worker,
    url,
    up: true,
    error: null,
    ready,
    ready_reasons: reasons,
    lag,
    lag_total: Object.values(lag).reduce((a, b) => a + b, 0),
    dlq,
    dlq_total: dlq.reduce((a, d) => a + d.count, 0),
    dependencies,
  };
}

export function readPipeline(urls: Readonly<Record<WorkerName, string>>): Promise<WorkerStatus[]> {
  return Promise.all(WORKER_NAMES.map((w) => readWorker(w, urls[w])));
}
