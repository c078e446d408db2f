import type { SimRecord } from './record.ts';

/**
 * Prefixes every id of a record (event, contact, session and customer ids, and the key), so that
 * several runs of one simulation can share long-lived topics and Redis without colliding.
 */
export function withIdPrefix(record: SimRecord, prefix: string): SimRecord {
  const value = { ...(record.value as Record<string, unknown>) };
  for (const field of ['event_id', 'contact_id', 'session_id', 'customer_id']) {
    if (typeof value[field] === 'string') value[field] = `${prefix}-${value[field] as string}`;
  }
  return { ...record, key: `${prefix}-${record.key}`, value };
}
