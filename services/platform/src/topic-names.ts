/**
 * Logical and physical topic names. `TOPICS` (@cxg/engine) are the logical names: the engine's
 * identities and the `topic` field of the replay NDJSON format, the same in every deployment. The
 * physical names are what Kafka and the schema registry see (`CX_TOPIC_PREFIX`, `CX_TOPIC_*`,
 * read by `readTopicNames` in settings.ts). A program builds one TopicNames from its settings and
 * hands it to what talks to Kafka (the Serde, the ConsumerRunner, initTopics, the DLQ tools), which
 * translate there and nowhere else: every handler, the engine and the ledger see logical names.
 */
import { TOPICS } from '@cxg/engine';

export type TopicKey = keyof typeof TOPICS;
export type LogicalTopic = (typeof TOPICS)[TopicKey];

/** The logical topics in a fixed order (that of `TOPICS`). */
export const TOPIC_KEYS = Object.keys(TOPICS) as TopicKey[];

/** The prefix every default name has; physical default = prefix + the logical name after it. */
export const DEFAULT_TOPIC_PREFIX = 'cx.';

/** What follows the default prefix in each logical name (`contacts.v1`, `kpi-alerts.v1`, …). */
export const TOPIC_SUFFIX: Readonly<Record<TopicKey, string>> = Object.freeze(
  Object.fromEntries(TOPIC_KEYS.map((k) => [k, TOPICS[k].slice(DEFAULT_TOPIC_PREFIX.length)])) as Record<TopicKey, string>,
);

/** The mapping, as every Kafka boundary takes it. */
export interface TopicNames {
  /** The Kafka topic of a logical topic; any other name comes back unchanged (a test's own topic, say). */
  physical(topic: string): string;
  /** The logical topic of a Kafka topic; any other name comes back unchanged. */
  logical(name: string): string;
  /** True when `name` is the Kafka topic of one of the logical topics. */
  isOurs(name: string): boolean;
  /** Physical name per logical topic, in TOPIC_KEYS order (for logs and summaries). */
  readonly byTopic: Readonly<Record<LogicalTopic, string>>;
}

/** A TopicNames from the physical name of each logical topic (`prefix` + suffix where none is given). */
export function topicNames(overrides: Partial<Record<TopicKey, string>> = {}, prefix: string = DEFAULT_TOPIC_PREFIX): TopicNames {
  const physicalOf = new Map<string, string>();
  const logicalOf = new Map<string, string>();
  for (const k of TOPIC_KEYS) {
    const name = overrides[k] ?? `${prefix}${TOPIC_SUFFIX[k]}`;
    if (logicalOf.has(name)) throw new Error(`topic ${name} is the physical name of both ${logicalOf.get(name)} and ${TOPICS[k]}`);
    physicalOf.set(TOPICS[k], name);
    logicalOf.set(name, TOPICS[k]);
  }
  const byTopic = Object.freeze(Object.fromEntries(physicalOf)) as Record<LogicalTopic, string>;
  return {
    physical: (topic) => physicalOf.get(topic) ?? topic,
    logical: (name) => logicalOf.get(name) ?? name,
    isOurs: (name) => logicalOf.has(name),
    byTopic,
  };
}

/** The names of docs/events.md: every physical name is its logical name. */
export const DEFAULT_TOPIC_NAMES: TopicNames = topicNames();
