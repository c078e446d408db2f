// What `cxg dlq replay` decides without Kafka: replayed before, sent once per source record,
// still rejected with today's reason; and the arguments and byte views of `cxg dlq list`.
import { describe, expect, it } from 'vitest';
import { TOPICS, type ContactEvent } from '@cxg/engine';
import type { DeadLetter } from '@cxg/platform';
import { keyText, rawBytes, type DlqEntry, type ReadDlq, type ReplayMarker } from '../src/dlq/read.ts';
import { planReplay } from '../src/dlq/replay.ts';
import { sinceArg } from '../src/commands/dlq.ts';

const NOW = Date.UTC(2026, 10, 3, 12, 0, 0);

const contact = (n: number, patch: Partial<ContactEvent> = {}): ContactEvent => ({
  event_id: `e-${n}`, contact_id: `c-${n}`, customer_id: 'cust-1', provider_id: 'prov-a', agent_id: null, channel: 'CHAT', queue: 'q',
  intent: 'billing.question', started_at: NOW - 3_600_000, answered_at: NOW - 3_599_000, ended_at: NOW - 3_540_000, outcome: 'RESOLVED', csat: null, sale_cents: 0, ...patch,
});

/** A DLQ record at dlq 0/<dlqOffset> copying cx.contacts.v1 2@<sourceOffset>. */
function dead(dlqOffset: number, sourceOffset: number, value: ContactEvent | null, reason = 'timestamp_in_future'): ReadDlq['entries'][number] {
  const letter: DeadLetter = {
    dlqPartition: 0, dlqOffset: String(dlqOffset), timestampMs: NOW - 1000, key: Buffer.from('cust-1'), value: Buffer.from([0, 0, 0, 0, 1]),
    sourceTopic: TOPICS.contacts, sourcePartition: 2, sourceOffset: String(sourceOffset), reason, message: 'm',
  };
  const entry: DlqEntry = {
    dlq_partition: 0, dlq_offset: String(dlqOffset), dead_lettered_at: new Date(NOW - 1000).toISOString(), source_topic: TOPICS.contacts, source_partition: 2,
    source_offset: String(sourceOffset), reason, message: 'm', key: 'cust-1', value, raw: null, decode_error: value === null ? 'unknown schema id 9' : null, replayed: null,
  };
  return { letter, entry };
}

const marker = (dlqOffset: number, sourceOffset: number): ReplayMarker => ({
  dlq_partition: 0, dlq_offset: String(dlqOffset), source_topic: TOPICS.contacts, source_partition: 2, source_offset: String(sourceOffset), reason: 'timestamp_in_future',
  event_id: 'x', sent_to: { topic: TOPICS.contacts, partition: 2, offset: '99' }, replayed_at: new Date(NOW - 500).toISOString(),
});

function markers(...list: ReplayMarker[]): ReadDlq['markers'] {
  return {
    byKey: new Map(list.map((m) => [`${m.dlq_partition}/${m.dlq_offset}`, m])),
    bySource: new Map(list.map((m) => [`${m.source_topic}/${m.source_partition}/${m.source_offset}`, m])),
  };
}

describe('planReplay', () => {
  it('sends what is valid now once per source record and skips what was replayed', () => {
    const plan = planReplay(
      {
        entries: [dead(0, 10, contact(1)), dead(1, 11, contact(2)), dead(2, 10, contact(1)), dead(3, 12, contact(3, { csat: 6 }), 'csat_out_of_range'), dead(4, 13, null, 'undecodable')],
        markers: markers(marker(1, 11)),
      },
      NOW,
    );
    expect(plan.send.map((s) => [s.sent.event_id, s.sent.source_offset, s.sent.copies])).toEqual([['e-1', '10', [{ dlq_partition: 0, dlq_offset: '2' }]]]);
    expect(plan.send[0]!.letters.map((l) => l.dlqOffset)).toEqual(['0', '2']);
    expect(plan.alreadyReplayed.map((a) => a.dlq_offset)).toEqual(['1']);
    expect(plan.notSent.map((n) => [n.dlq_offset, n.reason_now])).toEqual([['3', 'csat_out_of_range'], ['4', 'undecodable']]);
  });

  it('counts a DLQ copy of a replayed source record as replayed, and ignores a marker of another record at the same DLQ position', () => {
    const plan = planReplay({ entries: [dead(5, 20, contact(4)), dead(6, 21, contact(5))], markers: markers(marker(9, 20), marker(6, 77)) }, NOW);
    expect(plan.alreadyReplayed.map((a) => a.dlq_offset)).toEqual(['5']);
    expect(plan.send.map((s) => s.sent.dlq_offset)).toEqual(['6']);
  });

  it('judges with the clock it is given: a record still more than 24 h ahead stays', () => {
    const plan = planReplay({ entries: [dead(0, 10, contact(1, { started_at: NOW + 25 * 3_600_000, answered_at: NOW + 25 * 3_600_000 + 1000, ended_at: NOW + 25 * 3_600_000 + 60_000 }))], markers: null }, NOW);
    expect(plan.notSent.map((n) => n.reason_now)).toEqual(['timestamp_in_future']);
  });
});

describe('cxg dlq arguments and bytes', () => {
  it('--since takes a duration back from now or a zoned ISO instant', () => {
    expect(sinceArg('2h', NOW)).toBe(NOW - 7_200_000);
    expect(sinceArg('2026-11-03T09:00:00+01:00', NOW)).toBe(Date.UTC(2026, 10, 3, 8));
    expect(sinceArg('2026-11-03', NOW)).toBe(Date.UTC(2026, 10, 3));
    expect(() => sinceArg('2026-11-03T09:00:00', NOW)).toThrow(/duration/);
    expect(() => sinceArg('yesterday', NOW)).toThrow(/ISO-8601/);
  });

  it('shows bytes as text only when they are printable UTF-8', () => {
    expect(rawBytes(Buffer.from('{"a":1}\n'))).toEqual({ bytes: 8, text: '{"a":1}\n', base64: Buffer.from('{"a":1}\n').toString('base64') });
    expect(rawBytes(Buffer.from([0, 0x7f, 0xff])).text).toBeNull();
    expect(rawBytes(Buffer.from([0xc3])).text).toBeNull();
    expect(keyText(Buffer.from('cust-1'))).toBe('cust-1');
    expect(keyText(Buffer.from([1, 2]))).toBe('base64:AQI=');
    expect(keyText(null)).toBeNull();
  });
});
