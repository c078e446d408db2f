import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOPICS } from '@cxg/engine';
import { planPublish } from '../src/commands/publish.ts';

const contact = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: `e-${id}`, contact_id: `c-${id}`, customer_id: `cust-${id}`, provider_id: 'prov-a', channel: 'PHONE', queue: 'q', intent: 'billing.invoice',
  started_at: '2026-11-03T08:00:00Z', answered_at: '2026-11-03T08:00:20Z', ended_at: '2026-11-03T08:05:00Z', outcome: 'RESOLVED', ...extra,
});

describe('cxg publish: what a file sends', () => {
  it('decodes each line as its schema holds it, keys it like a producer, and reports the lines it cannot encode by file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cxg-publish-plan-'));
    const a = join(dir, 'a.ndjson');
    const b = join(dir, 'b.ndjson');
    writeFileSync(a, [
      JSON.stringify({ topic: TOPICS.contacts, key: 'ignored', value: contact('1') }),
      '',
      JSON.stringify({ topic: TOPICS.contacts, value: contact('2', { csat: 6 }) }), // a rule rejects it: sent, the worker judges
      '{"topic":"cx.contacts.v1","value":{"event_id"',
    ].join('\n'));
    writeFileSync(b, [
      JSON.stringify({ topic: TOPICS.web, value: { event_id: 'w-1', session_id: 's-1', customer_id: null, journey: 'billing.pay', started_at: 1793696400000, ended_at: 1793696460000, outcome: 'FAILED', last_step: 'x' } }),
      JSON.stringify({ topic: TOPICS.signals, value: {} }),
      JSON.stringify({ topic: TOPICS.contacts, value: contact('3', { channel: 'FAX' }) }),
    ].join('\n'));
    const plan = await planPublish([a, b], () => null);
    expect(plan.records.map((r) => [r.topic, r.key])).toEqual([
      [TOPICS.contacts, 'cust-1'],
      [TOPICS.contacts, 'cust-2'],
      [TOPICS.web, 's-1'],
    ]);
    expect((plan.records[0]!.value as { ended_at: number; csat: null }).ended_at).toBe(Date.parse('2026-11-03T08:05:00Z'));
    expect((plan.records[0]!.value as { csat: null }).csat).toBeNull();
    expect(plan.origins).toEqual([{ file: a, line: 1 }, { file: a, line: 3 }, { file: b, line: 1 }]);
    expect(plan.notSent.map((n) => [n.file, n.line, n.reason])).toEqual([
      [a, 4, 'undecodable'],
      [b, 2, 'unknown_topic'],
      [b, 3, 'unknown_enum'],
    ]);
  });
});
