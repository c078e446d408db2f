import { describe, expect, it } from 'vitest';
import { DEFAULT_DEDUPE_TTL_MS, DEFAULT_IDLE_GRACE_MS } from '@cxg/engine';
import { DEFAULT_SESSION_TIMEOUT_MS } from '../src/runner.ts';
import { TOPICS } from '@cxg/engine';
import { TOPIC_VARIABLES, WORKER_DEFAULTS, WorkerSettingsError, readTopicNames, readWorkerSettings, type WorkerVariable } from '../src/settings.ts';

/** The settings without the topic names, whose functions toEqual cannot compare (readTopicNames below). */
const withoutTopics = (env: NodeJS.ProcessEnv) => {
  const { topics: _topics, ...rest } = readWorkerSettings(env);
  return rest;
};

describe('readWorkerSettings', () => {
  it('has the defaults of the engine, the runner and WORKER_DEFAULTS', () => {
    expect(withoutTopics({})).toEqual({
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
    expect(withoutTopics({ CX_KPI_GROUP: '', METRICS_PORT: '', CX_ALERT_WEBHOOK_URL: '' })).toEqual(withoutTopics({}));
  });

  it('reads every variable', () => {
    const s = withoutTopics({
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
    CX_TOPIC_PREFIX: ['prod/', 'a b.', 'ü.', 'x'.repeat(240)],
    CX_TOPIC_CONTACTS: ['.', '..', 'a/b', 'contacts v1', 'x'.repeat(250)],
    CX_TOPIC_WEB: ['web*'],
    CX_TOPIC_CUSTOMERS: ['crm:customers'],
    CX_TOPIC_SIGNALS: ['..'],
    CX_TOPIC_ALERTS: ['alerts!'],
    CX_TOPIC_DLQ: ['dlq#1'],
    CX_TOPIC_DLQ_REPLAYED: ['a,b'],
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

describe('readTopicNames', () => {
  it('defaults to the logical names of TOPICS (prefix cx.)', () => {
    for (const env of [{}, { CX_TOPIC_PREFIX: '' }, { CX_TOPIC_PREFIX: 'cx.' }]) {
      const names = readTopicNames(env);
      expect(names.byTopic).toEqual(Object.fromEntries(Object.values(TOPICS).map((t) => [t, t])));
      expect(names.physical(TOPICS.contacts)).toBe('cx.contacts.v1');
    }
  });

  it('puts CX_TOPIC_PREFIX before each default name and lets CX_TOPIC_* override one topic', () => {
    const names = readTopicNames({ CX_TOPIC_PREFIX: 'stage.', CX_TOPIC_CUSTOMERS: 'crm.customer-changes', CX_TOPIC_DLQ: 'stage-dead-letters' });
    expect(names.byTopic).toEqual({
      'cx.contacts.v1': 'stage.contacts.v1',
      'cx.web.v1': 'stage.web.v1',
      'cx.customers.v1': 'crm.customer-changes',
      'cx.signals.v1': 'stage.signals.v1',
      'cx.kpi-alerts.v1': 'stage.kpi-alerts.v1',
      'cx.dlq.v1': 'stage-dead-letters',
      'cx.dlq-replayed.v1': 'stage.dlq-replayed.v1',
    });
    expect(names.logical('stage.web.v1')).toBe(TOPICS.web);
    expect(names.logical('crm.customer-changes')).toBe(TOPICS.customers);
    expect(names.isOurs('cx.web.v1')).toBe(false);
    // a name that is none of ours passes through both ways
    expect(names.physical('run1.cx.contacts.v1')).toBe('run1.cx.contacts.v1');
    expect(names.logical('cx.web.v1')).toBe('cx.web.v1');
  });

  it('every topic has its variable', () => {
    expect(Object.keys(TOPIC_VARIABLES).sort()).toEqual(Object.keys(TOPICS).sort());
  });

  it('two topics on one Kafka topic is an error naming the variables', () => {
    expect(() => readTopicNames({ CX_TOPIC_WEB: 'cx.contacts.v1' })).toThrow(
      'CX_TOPIC_WEB: expected a Kafka topic of its own (cx.contacts.v1 is also the Kafka topic of cx.contacts.v1) (got "cx.contacts.v1")',
    );
    expect(() => readTopicNames({ CX_TOPIC_WEB: 'same', CX_TOPIC_ALERTS: 'same' })).toThrow(WorkerSettingsError);
    expect((() => {
      try {
        readTopicNames({ CX_TOPIC_WEB: 'same', CX_TOPIC_ALERTS: 'same' });
      } catch (err) {
        return (err as WorkerSettingsError).problems.map((p) => p.variable);
      }
    })()).toEqual(['CX_TOPIC_WEB', 'CX_TOPIC_ALERTS']);
  });

  it('checks only the topic variables (a CLI command reads no worker settings)', () => {
    expect(readTopicNames({ CX_KPI_REFRESH_MS: 'x' }).physical(TOPICS.web)).toBe('cx.web.v1');
    expect(() => readWorkerSettings({ CX_TOPIC_SIGNALS: 'a b' })).toThrow(/^CX_TOPIC_SIGNALS: expected a Kafka topic name/);
  });
});
