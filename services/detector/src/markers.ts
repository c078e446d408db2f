import { TOPICS, type WebJourneyEvent } from '@cxg/engine';

/**
 * One COMPLETED web journey per partition at `atMs`: it advances every partition's watermark so the
 * reorder buffers release what they hold without waiting for the idle timer, and it can never be a
 * prior, so it yields no signal. For the end of a replayed stream, a test or a benchmark.
 */
export function endOfStreamMarkers(prefix: string, atMs: number, partitions: number): Array<{ topic: string; partition: number; key: string; value: WebJourneyEvent }> {
  return Array.from({ length: partitions }, (_, p) => {
    const id = `${prefix}-end-${p}`;
    return {
      topic: TOPICS.web,
      partition: p,
      key: id,
      value: { event_id: id, session_id: id, customer_id: id, journey: 'stream.end', started_at: atMs, ended_at: atMs, outcome: 'COMPLETED', last_step: 'end', error_code: null },
    };
  });
}
