import { describe, expect, it } from 'vitest';
import { DEFAULT_DEDUPE_TTL_MS, DEFAULT_IDLE_GRACE_MS } from '@cxg/engine';
import { DEFAULT_SESSION_TIMEOUT_MS } from '../src/runner.ts';
import { WORKER_DEFAULTS, WorkerSettingsError, readWorkerSettings, type WorkerVariable } from '../src/settings.ts';

describe('readWorkerSettings', () => {
  it('has the defaults of the engine, the runner and WORKER_DEFAULTS', () => {
    expect(readWorkerSettings({})).toEqual({
      sessionTimeoutMs: DEFAULT_SESSION_TIMEOUT_MS,
      dedupeTtlMs: DEFAULT_DEDUPE_TTL_MS,
      detector: { groupId: 'cx-detector', metricsPort: 9401, idleGraceMs: DEFAULT_IDLE_GRACE_MS, keyPrefix: 'cx:' },
      kpi: { groupId: 'cx-kpi', metricsPort: 9402, keyPrefix: 'cx:kpi:', refreshMs: WORKER_DEFAULTS.kpi.refreshMs, alertWebhookUrl: null },
      accruals: { groupId: 'cx-accruals', metricsPort: 9403, ratingIntervalMs: WORKER_DEFAULTS.accruals.ratingIntervalMs },
    });
    // the documented values (README), so a changed constant is a visible decision
    expect([DEFAULT_SESSION_TIMEOUT_MS, DEFAULT_DEDUPE_TTL_MS, DEFAULT_IDLE_GRACE_MS]).toEqual([30_000, 30 * 86_400_000, 5000]);
    expect([WORKER_DEFAULTS.kpi.refreshMs, WORKER_DEFAULTS.accruals.ratingIntervalMs]).toEqual([5000, 500]);
  });

  it('an empty variable counts as unset', () => {
    expect(readWorkerSettings({ CX_KPI_GROUP: '', METRICS_PORT: '', CX_ALERT_WEBHOOK_URL: '' })).toEqual(readWorkerSettings({}));
  });

  it('reads every variable', () => {
    const s = readWorkerSettings({
      CX_SESSION_TIMEOUT_MS: '6000',
      CX_DEDUPE_TTL_MS: '3600000',
      CX_IDLE_GRACE_MS: '0',
      CX_DETECTOR_GROUP: 'g-d',
      CX_DETECTOR_KEY_PREFIX: 'run1:',
      CX_KPI_GROUP: 'g-k',
      CX_KPI_KEY_PREFIX: 'run1:kpi:',
      CX_KPI_REFRESH_MS: '500',
      CX_ALERT_WEBHOOK_URL: 'https://hooks.example/alerts',
      CX_ACCRUALS_GROUP: 'g-a',
      CX_RATING_INTERVAL_MS: '250',
      METRICS_PORT: '9999',
    });
    expect(s).toEqual({
      sessionTimeoutMs: 6000,
      dedupeTtlMs: 3_600_000,
      detector: { groupId: 'g-d', metricsPort: 9999, idleGraceMs: 0, keyPrefix: 'run1:' },
      kpi: { groupId: 'g-k', metricsPort: 9999, keyPrefix: 'run1:kpi:', refreshMs: 500, alertWebhookUrl: 'https://hooks.example/alerts' },
      accruals: { groupId: 'g-a', metricsPort: 9999, ratingIntervalMs: 250 },
    });
  });

  it('METRICS_PORT 0 is allowed: the worker takes a free port', () => {
    const s = readWorkerSettings({ METRICS_PORT: '0' });
    expect([s.detector.metricsPort, s.kpi.metricsPort, s.accruals.metricsPort]).toEqual([0, 0, 0]);
  });

  const bad: Record<WorkerVariable, string[]> = {
    CX_SESSION_TIMEOUT_MS: ['30s', '0', '-1', '1.5', '1e4', ' 6000', '99999999999'],
    CX_DEDUPE_TTL_MS: ['30d', '0', 'NaN'],
    CX_IDLE_GRACE_MS: ['five', '-5', 'Infinity'],
    CX_DETECTOR_GROUP: [],
    CX_DETECTOR_KEY_PREFIX: ['cx:{x}:', '{'],
    CX_KPI_GROUP: [],
    CX_KPI_KEY_PREFIX: ['cx:kpi:{p}'],
    CX_KPI_REFRESH_MS: ['5 s', '0'],
    CX_ALERT_WEBHOOK_URL: ['hooks.example/alerts', 'ftp://hooks.example/', 'not a url'],
    CX_ACCRUALS_GROUP: [],
    CX_RATING_INTERVAL_MS: ['0.5s', '0'],
    METRICS_PORT: ['65536', '-1', 'http', '94O1'],
  };
  for (const [variable, values] of Object.entries(bad) as [WorkerVariable, string[]][]) {
    for (const value of values) {
      it(`${variable}=${JSON.stringify(value)} is an error naming the variable and its form`, () => {
        let error: unknown;
        try {
          readWorkerSettings({ [variable]: value });
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(WorkerSettingsError);
        const { message, problems } = error as WorkerSettingsError;
        expect(problems.map((p) => p.variable)).toEqual([variable]);
        expect(message.startsWith(`${variable}: expected `)).toBe(true);
        expect(message.endsWith(`(got ${JSON.stringify(value)})`)).toBe(true);
      });
    }
  }

  it('names every wrong variable at once', () => {
    expect(() => readWorkerSettings({ CX_KPI_REFRESH_MS: 'x', METRICS_PORT: 'y', CX_KPI_GROUP: 'fine' })).toThrow(
      /^CX_KPI_REFRESH_MS: expected a whole number of milliseconds, 1 to \d+ \(got "x"\); METRICS_PORT: expected a TCP port, 0 to 65535 \(0 picks a free one\) \(got "y"\)$/,
    );
  });
});
