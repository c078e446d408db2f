import { TOPICS, type ContactEvent, type WebJourneyEvent } from '@cxg/engine';

export type Marker =
  | { topic: typeof TOPICS.web; partition: number; key: string; value: WebJourneyEvent }
  | { topic: typeof TOPICS.contacts; partition: number; key: string; value: ContactEvent };

/**
 * Per partition, one COMPLETED web journey and one ABANDONED contact at `atMs`: they advance the
 * watermark of both co-partitioned streams, so every reorder buffer releases what it holds without
 * waiting for the idle timer, and neither can ever be a prior or yield a signal. For the end of a
 * replayed stream in a test or a benchmark (the abandoned contact counts as offered in KPIs).
 */
export function endOfStreamMarkers(prefix: string, atMs: number, partitions: number): Marker[] {
  return Array.from({ length: partitions }, (_, p): Marker[] => {
    const id = `${prefix}-end-${p}`;
    return [
      {
        topic: TOPICS.web,
        partition: p,
        key: id,
        value: { event_id: `${id}-w`, session_id: id, customer_id: id, journey: 'stream.end', started_at: atMs, ended_at: atMs, outcome: 'COMPLETED', last_step: 'end', error_code: null },
      },
      {
        topic: TOPICS.contacts,
        partition: p,
        key: id,
        value: {
          event_id: `${id}-c`, contact_id: id, customer_id: id, provider_id: 'stream-end', agent_id: null, channel: 'CHAT', queue: 'end',
          intent: 'stream.end', started_at: atMs, answered_at: null, ended_at: atMs, outcome: 'ABANDONED', csat: null, sale_cents: 0,
        },
      },
    ];
  }).flat();
}
