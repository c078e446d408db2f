import { TOPICS } from '@cxg/engine';

/** The logical topics the worker reads and writes, by role (their Kafka names come from the settings: CX_TOPIC_PREFIX, CX_TOPIC_*). */
export interface KpiTopics {
  contacts: string;
  signals: string;
  web: string;
  alerts: string;
}

export const DEFAULT_KPI_TOPICS: Readonly<KpiTopics> = Object.freeze({
  contacts: TOPICS.contacts,
  signals: TOPICS.signals,
  web: TOPICS.web,
  alerts: TOPICS.alerts,
});

export type InputRole = 'contacts' | 'signals' | 'web';
export const INPUT_ROLES: readonly InputRole[] = ['contacts', 'signals', 'web'];

export function inputTopics(t: KpiTopics): string[] {
  return INPUT_ROLES.map((r) => t[r]);
}
