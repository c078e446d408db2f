/**
 * The workers' own settings from the environment, validated before anything is built: a typo is an
 * error naming the variable and the form it takes, never a NaN that reaches kafkajs or Redis.
 * Endpoints (brokers, registry, Redis, ClickHouse, CX_CONFIG, LOG_LEVEL) are `readEndpoints`'s.
 * The README's environment table documents every name and default.
 */
import * as z from 'zod';
import { DEFAULT_DEDUPE_TTL_MS, DEFAULT_IDLE_GRACE_MS, TOPICS } from '@cxg/engine';
import { DEFAULT_SESSION_TIMEOUT_MS } from './runner.ts';
import { DEFAULT_TOPIC_PREFIX, TOPIC_KEYS, TOPIC_SUFFIX, topicNames, type TopicKey, type TopicNames } from './topic-names.ts';

export type WorkerName = 'detector' | 'kpi' | 'accruals';

/** What differs between the workers when nothing is set; the one place these defaults are defined. */
export const WORKER_DEFAULTS = {
  detector: { groupId: 'cx-detector', metricsPort: 9401, keyPrefix: 'cx:' },
  kpi: { groupId: 'cx-kpi', metricsPort: 9402, keyPrefix: 'cx:kpi:', refreshMs: 5_000 },
  accruals: { groupId: 'cx-accruals', metricsPort: 9403, ratingIntervalMs: 500 },
} as const;

export interface WorkerSettings {
  /** Kafka topic names (CX_TOPIC_PREFIX, CX_TOPIC_*), as `readTopicNames` reads them. */
  topics: TopicNames;
  /** Kafka consumer session timeout: how soon a killed member's partitions move. */
  sessionTimeoutMs: number;
  /** How long the detector and the kpi worker remember accepted ids. */
  dedupeTtlMs: number;
  detector: {
    groupId: string;
    metricsPort: number;
    /** Beyond the allowed lateness: how long a partition sits at its log end before the reorder buffer stops waiting for it. */
    idleGraceMs: number;
    /** Prefix of the detector's Redis keys (`<prefix>tl:{c}:v3`, `<prefix>epoch:{p<n>}`). */
    keyPrefix: string;
  };
  kpi: {
    groupId: string;
    metricsPort: number;
    keyPrefix: string;
    /** Gauge refresh and alert evaluation interval. */
    refreshMs: number;
    /** Alerts are also POSTed here; null: no webhook. */
    alertWebhookUrl: string | null;
  };
  accruals: {
    groupId: string;
    metricsPort: number;
    /** How often stored batches are rated and their offsets committed. */
    ratingIntervalMs: number;
  };
}

const MS_MAX = 2 ** 31 - 1; // Node's timers and kafkajs take at most a signed 32-bit count of ms
const digits = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const ms = (min: 0 | 1) => digits(min, MS_MAX);
const text = z.string().min(1);
// Braces would put a hash tag of their own in front of the keys' `{customer}` / `{p<n>}` tags.
const keyPrefix = z.string().regex(/^[^{}]+$/);
// Kafka's legal topic characters and length; "." and ".." alone are refused by the broker.
const TOPIC_MAX = 249;
const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]+$/)
  .max(TOPIC_MAX)
  .refine((v) => v !== '.' && v !== '..');
const topicPrefix = z.string().regex(/^[A-Za-z0-9._-]+$/).max(TOPIC_MAX - Math.max(...Object.values(TOPIC_SUFFIX).map((s) => s.length)));

/** The variable that overrides each logical topic's name. */
export const TOPIC_VARIABLES = {
  contacts: 'CX_TOPIC_CONTACTS',
  web: 'CX_TOPIC_WEB',
  customers: 'CX_TOPIC_CUSTOMERS',
  signals: 'CX_TOPIC_SIGNALS',
  alerts: 'CX_TOPIC_ALERTS',
  dlq: 'CX_TOPIC_DLQ',
  dlqReplayed: 'CX_TOPIC_DLQ_REPLAYED',
} as const satisfies Record<TopicKey, string>;

type TopicVariable = (typeof TOPIC_VARIABLES)[TopicKey];

const SCHEMA = z
  .object({
    CX_SESSION_TIMEOUT_MS: ms(1),
    CX_DEDUPE_TTL_MS: ms(1),
    CX_IDLE_GRACE_MS: ms(0),
    CX_DETECTOR_GROUP: text,
    CX_DETECTOR_KEY_PREFIX: keyPrefix,
    CX_KPI_GROUP: text,
    CX_KPI_KEY_PREFIX: keyPrefix,
    CX_KPI_REFRESH_MS: ms(1),
    CX_ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }),
    CX_ACCRUALS_GROUP: text,
    CX_RATING_INTERVAL_MS: ms(1),
    METRICS_PORT: digits(0, 65_535),
    CX_TOPIC_PREFIX: topicPrefix,
    ...(Object.fromEntries(Object.values(TOPIC_VARIABLES).map((v) => [v, topicName])) as Record<TopicVariable, typeof topicName>),
  })
  .partial();

export type WorkerVariable = keyof z.input<typeof SCHEMA>;

const positiveMs = `a whole number of milliseconds, 1 to ${MS_MAX}`;
const group = 'a consumer group id (any non-empty text)';
const prefix = 'a Redis key prefix without { or }';
const topic = `a Kafka topic name: 1 to ${TOPIC_MAX} of A-Z a-z 0-9 . _ - (not . or ..)`;

/** The accepted form of each variable, as its error states it. */
const FORMS: Record<WorkerVariable, string> = {
  CX_SESSION_TIMEOUT_MS: positiveMs,
  CX_DEDUPE_TTL_MS: positiveMs,
  CX_IDLE_GRACE_MS: `a whole number of milliseconds, 0 to ${MS_MAX}`,
  CX_DETECTOR_GROUP: group,
  CX_DETECTOR_KEY_PREFIX: prefix,
  CX_KPI_GROUP: group,
  CX_KPI_KEY_PREFIX: prefix,
  CX_KPI_REFRESH_MS: positiveMs,
  CX_ALERT_WEBHOOK_URL: 'an http:// or https:// URL',
  CX_ACCRUALS_GROUP: group,
  CX_RATING_INTERVAL_MS: positiveMs,
  METRICS_PORT: 'a TCP port, 0 to 65535 (0 picks a free one)',
  CX_TOPIC_PREFIX: `a Kafka topic name prefix: A-Z a-z 0-9 . _ - (at most ${TOPIC_MAX - Math.max(...Object.values(TOPIC_SUFFIX).map((x) => x.length))} characters)`,
  ...(Object.fromEntries(Object.values(TOPIC_VARIABLES).map((v) => [v, topic])) as Record<TopicVariable, string>),
};

const isVariable = (key: unknown): key is WorkerVariable => typeof key === 'string' && key in FORMS;

/** Names every wrong variable, each with the form it takes and the value it had. */
export class WorkerSettingsError extends Error {
  override readonly name = 'WorkerSettingsError';

  constructor(readonly problems: ReadonlyArray<{ variable: WorkerVariable; form: string; got: string }>) {
    super(problems.map((p) => `${p.variable}: expected ${p.form} (got ${JSON.stringify(p.got)})`).join('; '));
  }
}

const TOPIC_VARIABLE_NAMES: readonly WorkerVariable[] = ['CX_TOPIC_PREFIX', ...Object.values(TOPIC_VARIABLES)];

/** The variables `only` names (default: all), validated. */
function parse(env: NodeJS.ProcessEnv, only: readonly string[] = Object.keys(FORMS)): { v: z.output<typeof SCHEMA>; given: Partial<Record<WorkerVariable, string>> } {
  const given: Partial<Record<WorkerVariable, string>> = {};
  for (const name of only) {
    const value = env[name];
    if (isVariable(name) && value !== undefined && value !== '') given[name] = value;
  }
  const result = SCHEMA.safeParse(given);
  if (!result.success) {
    const wrong = [...new Set(result.error.issues.map((i) => i.path[0]).filter(isVariable))];
    throw new WorkerSettingsError(wrong.map((variable) => ({ variable, form: FORMS[variable], got: given[variable] ?? '' })));
  }
  return { v: result.data, given };
}

function topicsOf(v: z.output<typeof SCHEMA>, given: Partial<Record<WorkerVariable, string>>): TopicNames {
  const prefix = v.CX_TOPIC_PREFIX ?? DEFAULT_TOPIC_PREFIX;
  const overrides: Partial<Record<TopicKey, string>> = {};
  for (const k of TOPIC_KEYS) if (v[TOPIC_VARIABLES[k]] !== undefined) overrides[k] = v[TOPIC_VARIABLES[k]]!;
  // Two logical topics on one Kafka topic would mix their records: name every variable involved.
  const owners = new Map<string, TopicKey[]>();
  for (const k of TOPIC_KEYS) {
    const name = overrides[k] ?? `${prefix}${TOPIC_SUFFIX[k]}`;
    owners.set(name, [...(owners.get(name) ?? []), k]);
  }
  // Default names never meet (their rests differ), so every clash has an override in it: name those.
  const problems = [...owners.entries()]
    .filter(([, ks]) => ks.length > 1)
    .flatMap(([name, ks]) =>
      ks
        .filter((k) => overrides[k] !== undefined)
        .map((k) => ({
          variable: TOPIC_VARIABLES[k] as WorkerVariable,
          form: `a Kafka topic of its own (${name} is also the Kafka topic of ${ks.filter((o) => o !== k).map((o) => TOPICS[o]).join(', ')})`,
          got: given[TOPIC_VARIABLES[k]] ?? '',
        })),
    );
  if (problems.length > 0) throw new WorkerSettingsError(problems);
  return topicNames(overrides, prefix);
}

/**
 * The Kafka topic names: `CX_TOPIC_PREFIX` (default `cx.`) before each default name's rest
 * (`contacts.v1`, …), or the topic's own `CX_TOPIC_*` variable (TOPIC_VARIABLES), which wins.
 * Unset or empty variables take the defaults. Throws a WorkerSettingsError naming each wrong variable.
 */
export function readTopicNames(env: NodeJS.ProcessEnv = process.env): TopicNames {
  const { v, given } = parse(env, TOPIC_VARIABLE_NAMES);
  return topicsOf(v, given);
}

/** Every worker's settings; unset or empty variables take the defaults. Throws a WorkerSettingsError. */
export function readWorkerSettings(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const { v, given } = parse(env);
  const D = WORKER_DEFAULTS;
  return {
    topics: topicsOf(v, given),
    sessionTimeoutMs: v.CX_SESSION_TIMEOUT_MS ?? DEFAULT_SESSION_TIMEOUT_MS,
    dedupeTtlMs: v.CX_DEDUPE_TTL_MS ?? DEFAULT_DEDUPE_TTL_MS,
    detector: {
      groupId: v.CX_DETECTOR_GROUP ?? D.detector.groupId,
      metricsPort: v.METRICS_PORT ?? D.detector.metricsPort,
      idleGraceMs: v.CX_IDLE_GRACE_MS ?? DEFAULT_IDLE_GRACE_MS,
      keyPrefix: v.CX_DETECTOR_KEY_PREFIX ?? D.detector.keyPrefix,
    },
    kpi: {
      groupId: v.CX_KPI_GROUP ?? D.kpi.groupId,
      metricsPort: v.METRICS_PORT ?? D.kpi.metricsPort,
      keyPrefix: v.CX_KPI_KEY_PREFIX ?? D.kpi.keyPrefix,
      refreshMs: v.CX_KPI_REFRESH_MS ?? D.kpi.refreshMs,
      alertWebhookUrl: v.CX_ALERT_WEBHOOK_URL ?? null,
    },
    accruals: {
      groupId: v.CX_ACCRUALS_GROUP ?? D.accruals.groupId,
      metricsPort: v.METRICS_PORT ?? D.accruals.metricsPort,
      ratingIntervalMs: v.CX_RATING_INTERVAL_MS ?? D.accruals.ratingIntervalMs,
    },
  };
}
