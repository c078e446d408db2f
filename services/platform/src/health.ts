/**
 * What a worker depends on, probed on a timer: each check answers within its timeout or counts as
 * down, so /readyz answers from the last probe at once instead of waiting on a store that hangs.
 * Every up → down transition is one outage in `cx_outages_total{dependency}`.
 */
import type { Logger } from './logger.ts';
import type { PipelineMetrics } from './metrics.ts';

/** Resolves to null when healthy, else a short reason an operator can act on. */
export type HealthCheck = () => Promise<string | null>;

export interface DependencyState {
  up: boolean;
  /** Why it is down; null while up. */
  reason: string | null;
  /** Wall-clock ms of the last change (or of the first probe). */
  sinceMs: number;
}

/** Default probe timeout: /readyz must answer within 1 s, and answers from the last probe. */
export const CHECK_TIMEOUT_MS = 800;

/** Runs `check`, bounded by `timeoutMs`; a throw or a timeout is a reason. */
export async function probe(check: HealthCheck, timeoutMs: number = CHECK_TIMEOUT_MS): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([check().catch((err: unknown) => (err instanceof Error ? err.message : String(err))), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class HealthMonitor {
  private readonly states = new Map<string, DependencyState>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly checks: Readonly<Record<string, HealthCheck>>,
    private readonly deps: { metrics: Pick<PipelineMetrics, 'dependencyUp' | 'outages'>; log: Logger; now?: () => number },
  ) {}

  /** Probes every check once now, then every `intervalMs`. */
  async start(intervalMs = 1000): Promise<void> {
    await this.probeAll();
    this.timer = setInterval(() => {
      this.running ??= this.probeAll().finally(() => (this.running = null));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Probes every check (concurrently) and records the transitions. */
  async probeAll(): Promise<void> {
    await Promise.all(Object.entries(this.checks).map(async ([name, check]) => this.record(name, await probe(check))));
  }

  private record(name: string, reason: string | null): void {
    const now = (this.deps.now ?? Date.now)();
    const before = this.states.get(name);
    const up = reason === null;
    this.deps.metrics.dependencyUp.set({ dependency: name }, up ? 1 : 0);
    if (before && before.up === up) {
      before.reason = reason;
      return;
    }
    this.states.set(name, { up, reason, sinceMs: now });
    if (!up) {
      this.deps.metrics.outages.inc({ dependency: name });
      this.deps.log.warn({ dependency: name, reason }, 'dependency down');
    } else if (before) {
      this.deps.log.info({ dependency: name, downForMs: now - before.sinceMs }, 'dependency back');
    }
  }

  /** The last probe of each dependency. */
  snapshot(): Record<string, DependencyState> {
    return Object.fromEntries([...this.states].map(([name, s]) => [name, { ...s }]));
  }

  /**
   * Reasons of everything down, as `name: reason`; empty when all are up. A check not probed yet
   * counts as down: a worker is not ready before it has seen each dependency answer.
   */
  down(): string[] {
    return Object.keys(this.checks).flatMap((name) => {
      const s = this.states.get(name);
      if (!s) return [`${name}: not probed yet`];
      return s.up ? [] : [`${name}: ${s.reason}`];
    });
  }
}
