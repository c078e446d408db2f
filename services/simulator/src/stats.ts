import type { InputTopic } from '@cxg/engine';
import { INPUT_TOPICS } from '@cxg/engine';

/** What a run produced; filled while the records stream, complete once iteration ends. */
export interface SimStats {
  /** Every output record, by topic (bad and duplicates included). */
  records: Record<InputTopic, number>;
  total: number;
  /** Invalid records injected (--bad-ratio), total and by kind. */
  bad: number;
  badByKind: Record<string, number>;
  /** Re-sent records: same event_id (duplicates) or a new event_id with a known contact_id. */
  duplicates: number;
  duplicateContactIds: number;
  /** Event-time span of the valid records (ended_at, customers occurred_at); null when none. */
  firstEventMs: number | null;
  lastEventMs: number | null;
}

export function emptyStats(): SimStats {
  const records = Object.fromEntries(INPUT_TOPICS.map((t) => [t, 0])) as Record<InputTopic, number>;
  return { records, total: 0, bad: 0, badByKind: {}, duplicates: 0, duplicateContactIds: 0, firstEventMs: null, lastEventMs: null };
}
