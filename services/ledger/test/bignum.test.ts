/**
 * Big numbers on a real embedded ClickHouse (docs/accruals.md, "Big numbers": "a day's Σ sale_cents may pass 2^53;
 * the ledger never overflows, rounds through floating point or crashes on a big number"): days
 * whose Σ sale_cents passes 10^14 (the old Decimal(18, 4) limit), whose amount passes 2^53 and whose
 * Σ sale_cents passes 2^63 (where an Int64 sum in SQL wraps) are stored and read back exactly;
 * an amount beyond the signed 64-bit range of cents is an error naming the line (the accruals
 * worker's own test, services/accruals/test/bignum.test.ts, shows it counting that and going on).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineRangeError, TOPICS, type ContactEvent } from '@cxg/engine';
import { rows } from '../src/clickhouse.ts';
import { insertFacts } from '../src/facts.ts';
import { readLines } from '../src/ledger.ts';
import { rateRange } from '../src/rating.ts';
import { BIG_NUMBERS, tempLedger } from '../src/testing.ts';

const { cfg, INT64_MAX, dayA, SUM_A, dayB, SUM_B, dayC, SUM_C, dayOver, fine, WATERMARK, commission } = BIG_NUMBERS;

let ledger: Awaited<ReturnType<typeof tempLedger>>;

beforeAll(async () => {
  ledger = await tempLedger('bignum');
}, 60_000);
afterAll(async () => ledger?.close());

const store = async (events: ContactEvent[], version: bigint) =>
  insertFacts(ledger.client, events.map((event, i) => ({ topic: TOPICS.contacts, event, source: `t/0/${version}-${i}` })), version);

describe('big quantities and amounts in the ledger', () => {
  it('widens accrual_lines.quantity to Decimal(38, 4); the monthly view sums in Int128', async () => {
    const types = await rows<{ table: string; name: string; type: string }>(
      ledger.client,
      `SELECT table, name, type FROM system.columns WHERE database = currentDatabase()
       AND ((table IN ('accrual_lines', 'accrual_daily') AND name = 'quantity') OR (table = 'accrual_monthly_statement' AND name = 'amount_cents'))
       ORDER BY table`,
    );
    expect(types).toEqual([
      { table: 'accrual_daily', name: 'quantity', type: 'Decimal(38, 4)' },
      { table: 'accrual_lines', name: 'quantity', type: 'Decimal(38, 4)' },
      { table: 'accrual_monthly_statement', name: 'amount_cents', type: 'Int128' },
    ]);
  });

  it('stores Σ sale_cents ≥ 10^14, amounts past 2^53 and Σ past 2^63 exactly, and reads them back as bigint', async () => {
    await store([...dayA, ...dayB, ...dayC, ...fine], 1n);
    const summary = await rateRange(ledger.client, cfg, [cfg.contracts[0]!, cfg.contracts[2]!], '2026-05-01', '2026-05-31', WATERMARK);
    expect(summary.failed).toEqual([]);
    const lines = await readLines(ledger.client, { contractIds: ['k-big'], lineTypes: ['upsell_commission'], from: '2026-05-04', to: '2026-05-06' });
    expect(lines.map((l) => [l.date, l.quantity, l.amount_cents])).toEqual([
      ['2026-05-04', '120000000000007.0000', 6_000_000_000_000n], // 6 000 000 000 000.35 → …000
      ['2026-05-05', '225179981368524775.0000', 11_258_999_068_426_239n], // …238.75 → …239 > 2^53
      ['2026-05-06', '9907919180215090100.0000', 495_395_959_010_754_505n],
    ]);
    expect(lines.map((l) => l.amount_cents)).toEqual([commission(SUM_A, 5n), commission(SUM_B, 5n), commission(SUM_C, 5n)]);
    expect(SUM_C > INT64_MAX && lines[1]!.amount_cents > 2n ** 53n).toBe(true);
    // the basis keeps the sum as exact text past 2^53
    expect(JSON.parse(lines[2]!.basis)).toMatchObject({ sale_cents: SUM_C.toString(), commission_pct: '5', unrounded_cents: '495395959010754505' });
    // the views agree, in Int128 / Decimal text: the month of k-big passes nothing through a double
    const [month] = await rows<{ cents: string }>(
      ledger.client,
      "SELECT toString(amount_cents) AS cents FROM accrual_monthly_statement WHERE contract_id = 'k-big' AND line_type = 'upsell_commission'",
    );
    expect(BigInt(month!.cents)).toBe(commission(SUM_A, 5n) + commission(SUM_B, 5n) + commission(SUM_C, 5n));
    const [daily] = await rows<{ q: string }>(ledger.client, "SELECT toString(quantity) AS q FROM accrual_daily WHERE contract_id = 'k-big' AND date = '2026-05-06' AND line_type = 'upsell_commission'");
    expect(daily!.q).toBe('9907919180215090100');
  }, 60_000);

  it('refuses an amount beyond the signed 64-bit range of cents with one line naming contract, day and line', async () => {
    await store(dayOver, 2n);
    const over = cfg.contracts[1]!;
    const expected = `contract k-over, day 2026-05-06, line upsell_commission: amount ${SUM_C} cents is beyond the signed 64-bit range of cents (±${INT64_MAX})`;
    await expect(rateRange(ledger.client, cfg, [over], '2026-05-01', '2026-05-31', WATERMARK)).rejects.toThrow(expected);
    await expect(rateRange(ledger.client, cfg, [over], '2026-05-01', '2026-05-31', WATERMARK)).rejects.toBeInstanceOf(LineRangeError);
    expect(await readLines(ledger.client, { contractIds: ['k-over'] })).toEqual([]); // nothing of that month was written
  }, 60_000);
});
