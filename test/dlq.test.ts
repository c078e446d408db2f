// `cxg dlq list` and `cxg dlq replay` against the real stack. A consumer runner whose clock is two
// days behind (validate judges with Date.now() − 48 h) dead-letters contacts of the last hour as
// timestamp_in_future, beside an undecodable record and a csat_out_of_range one; list must show all
// four with their source topic, partition and offset; replay with today's clock sends the two that
// are valid now back to their source partition once (a second run sends none), leaves the others,
// and a runner with the right clock accepts what was sent. Timestamps are relative to now, so the
// test passes on any date; --since the test's start keeps earlier runs' records out of the counts.
import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { TOPICS, validateEvent, type ContactEvent, type InputTopic } from '@cxg/engine';
import { ConsumerRunner, createMetrics, groupAtLogEnd, type Consumed } from '@cxg/platform';
import { collect, eventually, kafkaSuite, runId, spawnCxg, testLog } from './helpers.ts';

const HOUR = 3_600_000;
const { kafka, serde, producer } = kafkaSuite('test-dlq');

/** Runs `cxg <args>` to its end: exit code, stdout alone (the JSON document), and everything. */
async function cxg(...args: string[]): Promise<{ code: number | null; stdout: string; output: string }> {
  const run = spawnCxg(args, {});
  let stdout = '';
  run.child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => run.child.on('close', resolve));
  return { code, stdout, output: run.output() };
}

async function cxgJson<T>(...args: string[]): Promise<T> {
  const r = await cxg(...args, '--json');
  expect(r.code, r.output).toBe(0);
  return JSON.parse(r.stdout) as T;
}

interface ListEntry {
  dlq_partition: number;
  dlq_offset: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  reason: string;
  message: string;
  key: string;
  value: ContactEvent | null;
  raw: { bytes: number; text: string | null; base64: string } | null;
  decode_error: string | null;
  replayed: { at: string; sent_to: { topic: string; partition: number; offset: string } } | null;
}
interface ListDoc {
  count: number;
  records: ListEntry[];
}
interface ReplayDoc {
  dry_run: boolean;
  sent: Array<{ key: string; event_id: string; source_offset: string; dlq_partition: number; dlq_offset: string; sent_to: { topic: string; partition: number; offset: string } | null }>;
  already_replayed: Array<{ key: string; source_offset: string }>;
  not_sent: Array<{ key: string; source_offset: string; reason_now: string }>;
}

/** A consumer runner on cx.contacts.v1 from its log end, judging with a clock `skewMs` off; collects what it accepts of `customer`. */
async function runnerAt(id: string, skewMs: number, customer: string) {
  const groupId = `${id}-${skewMs === 0 ? 'right' : 'behind'}`;
  await groupAtLogEnd(kafka, groupId, [TOPICS.contacts]);
  const accepted: Consumed[] = [];
  const runner = new ConsumerRunner({
    kafka, groupId, topics: [TOPICS.contacts], serde, producer: producer(), metrics: createMetrics(groupId), log: testLog,
    validate: (topic, value) => validateEvent(topic as InputTopic, value, Date.now() + skewMs),
    handler: {
      onBatch: async (records) => {
        accepted.push(...records.filter((r) => r.key?.toString() === customer));
        return undefined;
      },
    },
  });
  await runner.start();
  return { runner, accepted };
}

describe('cxg dlq', () => {
  it('lists dead-lettered records with source and reason, and replays the valid ones once', { timeout: 240_000 }, async () => {
    const id = runId('dlq-cli');
    const customer = `${id}-u`;
    const since = new Date(Date.now() - 1000).toISOString();
    const now = Date.now();
    const contact = (n: number, endedAt: number, patch: Partial<ContactEvent> = {}): ContactEvent => ({
      event_id: `${id}-e${n}`, contact_id: `${id}-c${n}`, customer_id: customer, provider_id: 'prov-a', agent_id: 'a1',
      channel: 'CHAT', queue: 'q', intent: 'billing.question', started_at: endedAt - 60_000, answered_at: endedAt - 59_000, ended_at: endedAt,
      outcome: 'RESOLVED', csat: null, sale_cents: 0, ...patch,
    });
    const send = async (value: Buffer) => {
      const [meta] = await producer().send({ topic: TOPICS.contacts, acks: -1, messages: [{ key: customer, value }] });
      return { partition: meta!.partition, offset: meta!.baseOffset! };
    };
    const junk = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf1, 1, 2, 3]);

    // A worker two days behind: the last hour is more than 24 h in its future.
    const behind = await runnerAt(id, -48 * HOUR, customer);
    let sent: Record<string, { partition: number; offset: string; bytes: Buffer }>;
    try {
      sent = {};
      for (const [name, value] of [
        ['future1', await serde.encode(TOPICS.contacts, contact(1, now - HOUR))],
        ['future2', await serde.encode(TOPICS.contacts, contact(2, now - HOUR + 60_000))],
        ['junk', junk],
        ['csat', await serde.encode(TOPICS.contacts, contact(3, now - 30 * HOUR, { csat: 6 }))],
        ['good', await serde.encode(TOPICS.contacts, contact(4, now - 30 * HOUR + 60_000))],
      ] as const) {
        sent[name] = { ...(await send(value)), bytes: value };
      }
      await eventually(() => (behind.accepted.length >= 1 ? true : undefined), 60_000, 'the good record accepted');
      expect(behind.accepted.map((r) => (r.value as ContactEvent).event_id)).toEqual([`${id}-e4`]);
      const dlq = await collect(kafka, TOPICS.dlq, (m) => m.key?.toString() === customer);
      await eventually(() => (dlq.messages.length >= 4 ? true : undefined), 60_000, 'four DLQ records');
      await dlq.stop();
    } finally {
      await behind.runner.stop();
    }

    // list: every record with its source position and reason; values decoded where they can be.
    // Dead-lettering is at-least-once, so one source record may have more than one DLQ copy.
    const listed = await cxgJson<ListDoc>('dlq', 'list', '--since', since);
    const mine = listed.records.filter((r) => r.key === customer);
    const sources = (records: ListEntry[]) => [...new Set(records.map((r) => r.source_offset))];
    const bad = ['future1', 'future2', 'junk', 'csat'] as const;
    expect(sources(mine).sort()).toEqual(bad.map((name) => sent[name]!.offset).sort());
    const at = (name: string) => mine.find((r) => r.source_offset === sent[name]!.offset)!;
    for (const [name, reason] of [['future1', 'timestamp_in_future'], ['future2', 'timestamp_in_future'], ['junk', 'undecodable'], ['csat', 'csat_out_of_range']] as const) {
      for (const copy of mine.filter((r) => r.source_offset === sent[name]!.offset)) {
        expect(copy, name).toMatchObject({ source_topic: TOPICS.contacts, source_partition: sent[name]!.partition, source_offset: sent[name]!.offset, reason, replayed: null });
      }
    }
    expect(at('future1').value).toMatchObject({ event_id: `${id}-e1`, customer_id: customer });
    expect(at('csat').value).toMatchObject({ event_id: `${id}-e3`, csat: 6 });
    expect(at('junk')).toMatchObject({ value: null, raw: { bytes: 8, text: null, base64: junk.toString('base64') } });
    expect(at('junk').decode_error).toMatch(/unknown schema id/);
    const onlyFuture = await cxgJson<ListDoc>('dlq', 'list', '--since', since, '--reason', 'timestamp_in_future');
    expect(sources(onlyFuture.records.filter((r) => r.key === customer))).toEqual([sent.future1!.offset, sent.future2!.offset]);
    const table = await cxg('dlq', 'list', '--since', since);
    expect(table.code, table.output).toBe(0);
    for (const name of ['future1', 'junk', 'csat']) expect(table.stdout).toContain(`${TOPICS.contacts}/${sent[name]!.partition}@${sent[name]!.offset}`);
    expect(table.stdout).toContain(`base64 ${junk.toString('base64')}`);

    const right = await runnerAt(id, 0, customer);
    const copies = await collect(kafka, TOPICS.contacts, (m) => m.key?.toString() === customer);
    try {
      await eventually(() => (copies.messages.length >= 5 ? true : undefined), 60_000, 'the five records produced');

      // --dry-run: says what it would send, sends and marks nothing
      const dry = await cxgJson<ReplayDoc>('dlq', 'replay', '--reason', 'timestamp_in_future', '--since', since, '--dry-run');
      expect(dry.dry_run).toBe(true);
      expect(dry.sent.filter((s) => s.key === customer).map((s) => [s.event_id, s.sent_to])).toEqual([[`${id}-e1`, null], [`${id}-e2`, null]]);

      // replay: the two valid ones go back to their source partition with the same bytes, once
      const first = await cxgJson<ReplayDoc>('dlq', 'replay', '--reason', 'timestamp_in_future', '--since', since);
      const replayed = first.sent.filter((s) => s.key === customer);
      expect(replayed.map((s) => s.event_id)).toEqual([`${id}-e1`, `${id}-e2`]);
      for (const s of replayed) expect(s.sent_to).toMatchObject({ topic: TOPICS.contacts, partition: sent.future1!.partition });
      await eventually(() => (right.accepted.length >= 2 ? true : undefined), 60_000, 'the replayed records accepted');
      expect([...new Set(right.accepted.map((r) => (r.value as ContactEvent).event_id))]).toEqual([`${id}-e1`, `${id}-e2`]);
      await eventually(() => (copies.messages.length >= 7 ? true : undefined), 30_000, 'the replayed copies');
      const again = copies.messages.slice(5);
      expect(again.map((m) => m.value)).toEqual([sent.future1!.bytes, sent.future2!.bytes]);
      expect(again.map((m) => m.offset)).toEqual(replayed.map((s) => s.sent_to!.offset));
      expect(again.map((m: KafkaMessage) => m.headers?.['cx-dlq-replay-of']?.toString())).toEqual(replayed.map((s) => `${s.dlq_partition}/${s.dlq_offset}`));

      // a second run sends nothing: both are marked as replayed
      const second = await cxgJson<ReplayDoc>('dlq', 'replay', '--reason', 'timestamp_in_future', '--since', since);
      expect(second.sent).toEqual([]);
      expect([...new Set(second.already_replayed.filter((a) => a.key === customer).map((a) => a.source_offset))]).toEqual([sent.future1!.offset, sent.future2!.offset]);

      // still rejected today: not sent, not marked, with the reason they have now
      const csat = await cxgJson<ReplayDoc>('dlq', 'replay', '--reason', 'csat_out_of_range', '--since', since);
      expect(csat.sent.filter((s) => s.key === customer)).toEqual([]);
      expect([...new Set(csat.not_sent.filter((n) => n.key === customer).map((n) => n.reason_now))]).toEqual(['csat_out_of_range']);
      const undecodable = await cxgJson<ReplayDoc>('dlq', 'replay', '--reason', 'undecodable', '--since', since);
      expect([...new Set(undecodable.not_sent.filter((n) => n.key === customer).map((n) => n.reason_now))]).toEqual(['undecodable']);

      // the list shows where each replayed record went; nothing more was produced
      const after = (await cxgJson<ListDoc>('dlq', 'list', '--since', since)).records.filter((r) => r.key === customer);
      for (const [name, s] of [['future1', replayed[0]!], ['future2', replayed[1]!]] as const) {
        for (const copy of after.filter((r) => r.source_offset === sent[name]!.offset)) expect(copy.replayed?.sent_to, name).toEqual(s.sent_to);
      }
      expect([...new Set(after.filter((r) => r.replayed === null).map((r) => r.reason))].sort()).toEqual(['csat_out_of_range', 'undecodable']);
      expect(copies.messages).toHaveLength(7);
    } finally {
      await copies.stop();
      await right.runner.stop();
    }
  });
});
