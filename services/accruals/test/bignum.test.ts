/**
 * Big numbers through the accruals worker on a real embedded ClickHouse (docs/accruals.md, "Big numbers"): a line
 * whose amount lies beyond the signed 64-bit range of cents cannot be booked; the worker logs it,
 * counts it and goes on with the other contracts. The ledger's own big-number tests are in
 * services/ledger/test/bignum.test.ts; the facts here are the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, type ContactEvent } from '@cxg/engine';
import type { BatchContext, Consumed, Logger } from '@cxg/platform';
import { VersionClock, insertFacts, rateRange, readLines, readWatermark } from '@cxg/ledger';
import { BIG_NUMBERS, tempLedger } from '@cxg/ledger/testing';
import { AccrualsHandler } from '../src/handler.ts';
import { createAccrualsMetrics } from '../src/metrics.ts';

const { cfg, sale, INT64_MAX, dayA, dayB, dayC, SUM_C, dayOver, fine, WATERMARK, commission } = BIG_NUMBERS;

let ledger: Awaited<ReturnType<typeof tempLedger>>;

const store = async (events: ContactEvent[], version: bigint) =>
  insertFacts(ledger.client, events.map((event, i) => ({ topic: TOPICS.contacts, event, source: `t/0/${version}-${i}` })), version);

// The ledger as the ledger's big-number tests leave it: k-big and k-fine rated, k-over's facts stored.
beforeAll(async () => {
  ledger = await tempLedger('bignum-worker');
  await store([...dayA, ...dayB, ...dayC, ...fine], 1n);
  await rateRange(ledger.client, cfg, [cfg.contracts[0]!, cfg.contracts[2]!], '2026-05-01', '2026-05-31', WATERMARK);
  await store(dayOver, 2n);
}, 60_000);
afterAll(async () => ledger?.close());

describe('the worker with a line that cannot be booked', () => {
  it('logs it, counts it in cx_accrual_errors_total and rates the other contracts', async () => {
    const errors: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const log = { error: (obj: Record<string, unknown>, msg: string) => errors.push({ obj, msg }), warn() {}, info() {}, debug() {} } as unknown as Logger;
    const metrics = createAccrualsMetrics();
    const handler = new AccrualsHandler({ client: ledger.client, config: cfg, metrics, versions: new VersionClock(), log, now: () => WATERMARK });
    await handler.init();
    // a new fact for each contract on 2026-05-06, the overflowing one included
    const late = [sale('po', '2026-05-06', 5000, 1), sale('pf', '2026-05-06', 5000, 766), sale('pb', '2026-05-06', 5000, 0)];
    const records: Consumed[] = late.map((value, i) => ({ topic: TOPICS.contacts, partition: 0, offset: String(i), key: null, value }));
    const ctx: BatchContext = { topic: TOPICS.contacts, partition: 0, nextOffset: String(late.length), reject: () => {} };
    expect(await handler.onBatch(records, ctx)).toEqual([]);
    // the tick does not throw: it rates what it can, saves the watermark and releases the offsets
    expect(await handler.onTick()).toEqual([{ topic: TOPICS.contacts, partition: 0, offset: '3' }]);
    expect(await readWatermark(ledger.client)).toBe(WATERMARK);

    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toBe(`contract k-over, day 2026-05-06, line upsell_commission: amount ${SUM_C + 1n} cents is beyond the signed 64-bit range of cents (±${INT64_MAX})`);
    expect(errors[0]!.obj).toMatchObject({ contract: 'k-over', date: '2026-05-06', line_type: 'upsell_commission', reason: 'amount_out_of_range' });
    expect(await metrics.registry.metrics()).toMatch(/cx_accrual_errors_total\{contract="k-over",reason="amount_out_of_range",worker="accruals"\} 1/);

    // k-fine and k-big were rated with the new facts: 2 contacts on 05-06 now
    const fee = await readLines(ledger.client, { contractIds: ['k-fine', 'k-big'], from: '2026-05-06', to: '2026-05-06', lineTypes: ['upsell_commission', 'contact_fee'] });
    expect(fee.map((l) => [l.contract_id, l.line_type, l.quantity, l.amount_cents])).toEqual([
      ['k-big', 'contact_fee', '1101.0000', 1101n * 420n],
      ['k-big', 'upsell_commission', '9907919180215090100.0000', commission(SUM_C, 5n)],
      ['k-fine', 'contact_fee', '2.0000', 840n],
      ['k-fine', 'upsell_commission', '2000.0000', 100n],
    ]);
    expect(await readLines(ledger.client, { contractIds: ['k-over'] })).toEqual([]);
  }, 60_000);
});
