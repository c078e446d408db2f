import type { Topic } from './events.generated.ts';

/** Topic names (docs/events.md). Input topics are keyed by customer_id and co-partitioned. */
export const TOPICS = {
  contacts: 'cx.contacts.v1',
  web: 'cx.web.v1',
  customers: 'cx.customers.v1',
  signals: 'cx.signals.v1',
  alerts: 'cx.kpi-alerts.v1',
  dlq: 'cx.dlq.v1',
  /** Compacted: one marker per DLQ record that `cxg dlq replay` sent back, keyed `<dlq partition>/<offset>`. */
  dlqReplayed: 'cx.dlq-replayed.v1',
} as const;

export const INPUT_TOPICS = [TOPICS.contacts, TOPICS.web, TOPICS.customers] as const;
export type InputTopic = (typeof INPUT_TOPICS)[number];

/** Topics whose values are Avro records registered under `<topic>-value`. */
export const AVRO_TOPICS: readonly Topic[] = [TOPICS.contacts, TOPICS.web, TOPICS.customers, TOPICS.signals, TOPICS.alerts];
