/**
 * Adjustments on a real embedded ClickHouse: a late contact for a final day leaves the day's line
 * as it was and books its change on the day it arrived; re-rating books nothing new; one rating
 * at the end (as `cxg replay` does) writes the same rows as rating as the facts come (as the
 * worker does); new terms post config_change rows and reverse a line type they no longer rate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, type ContractsConfig } from '@cxg/engine';
import { readAdjustments, type StoredAdjustment } from '../src/adjustments.ts';
import { configVersion } from '../src/config-version.ts';
import { insertFacts, insertSignals, type AcceptedFact } from '../src/facts.ts';
import { readLines, resetDatabase, type StoredLine } from '../src/ledger.ts';
import { rateRange } from '../src/rating.ts';
import { config, contact, signal, tempLedger, utc } from '../src/testing.ts';

const yaml = (phone: number, minute: boolean) => `
timezone: UTC
contracts:
  - id: k
    provider_id: p
    valid_from: 2026-05-01
    valid_to: 2026-12-31
    transactional: {per_contact_cents: {PHONE: ${phone}}${minute ? ', per_minute_cents: {PHONE: 60}' : ''}}
`;
const v1 = config(yaml(420, true));
const v2 = config(yaml(500, false));

// May 4th is final at 00:02 on May 5th (L = 2 min); the late contact for it arrives on May 6th.
const W1 = utc('2026-05-05T12:00:00Z');
const W2 = utc('2026-05-06T10:00:00Z');
const onTime: AcceptedFact[] = [
  { topic: TOPICS.contacts, event: contact({ provider_id: 'p', ended_at: utc('2026-05-04T09:00:00Z') }), source: 't/0/0', arrivedMs: utc('2026-05-04T09:00:00Z') },
  { topic: TOPICS.contacts, event: contact({ provider_id: 'p', ended_at: utc('2026-05-04T10:00:00Z') }), source: 't/0/1', arrivedMs: utc('2026-05-04T10:00:00Z') },
  { topic: TOPICS.contacts, event: contact({ provider_id: 'p', ended_at: W1 }), source: 't/0/2', arrivedMs: W1 },
];
const lateContact = contact({ provider_id: 'p', ended_at: utc('2026-05-04T11:00:00Z') });
const later: AcceptedFact[] = [
  { topic: TOPICS.contacts, event: lateContact, source: 't/0/3', arrivedMs: W2 },
  { topic: TOPICS.contacts, event: contact({ provider_id: 'p', ended_at: W2 }), source: 't/0/4', arrivedMs: W2 },
];
const LINE = 'k:2026-05-04:contact_fee:PHONE';
const MINUTES = 'k:2026-05-04:minute_fee:PHONE';

const strip = <T extends { version: string }>(rows: T[]) => rows.map(({ version: _v, ...r }) => r);
const byId = (lines: StoredLine[], id: string) => lines.find((l) => l.accrual_id === id);
const money = (rows: StoredAdjustment[]) => rows.map((a) => `${a.adjustment_id} ${a.quantity_delta} ${a.amount_delta_cents}`);

/** The worker's way: rate as the facts come, each rating knowing the watermark it last rated at. */
async function rateAsTheyCome(client: Awaited<ReturnType<typeof tempLedger>>['client'], cfg: ContractsConfig) {
  await insertFacts(client, onTime, 1n);
  await rateRange(client, cfg, cfg.contracts, '2026-05-01', '2026-05-31', W1, { previousWatermarkMs: null });
  await insertFacts(client, later, 2n);
  return rateRange(client, cfg, cfg.contracts, '2026-05-01', '2026-05-31', W2, { previousWatermarkMs: W1 });
}

// chdb opens one directory per process: the replay's way runs on the same database after a reset
let worker: Awaited<ReturnType<typeof tempLedger>>;
beforeAll(async () => {
  worker = await tempLedger('adjustments');
}, 60_000);
afterAll(async () => worker?.close());

describe('adjustments', () => {
  let firstLines: StoredLine[];

  it('a late contact for a final day keeps the line and books the change on the day it arrived', async () => {
    const summary = await rateAsTheyCome(worker.client, v1);
    firstLines = await readLines(worker.client);
    expect(byId(firstLines, LINE)).toMatchObject({ quantity: '2.0000', amount_cents: 840n, status: 'final' });
    expect(byId(firstLines, MINUTES)).toMatchObject({ quantity: '2.0000', amount_cents: 120n, status: 'final' });
    const rows = await readAdjustments(worker.client);
    expect(money(rows)).toEqual([`${LINE}@2026-05-06:late_event 1.0000 420`, `${MINUTES}@2026-05-06:late_event 1.0000 60`]);
    expect(rows[0]).toMatchObject({
      accrual_id: LINE,
      service_date: '2026-05-04',
      booked_on: '2026-05-06',
      cause: 'late_event',
      config_version: configVersion(v1),
      // open until May 6th is final
      final_at_ms: utc('2026-05-07T00:02:00Z'),
    });
    expect(JSON.parse(rows[0]!.evidence)).toEqual({ records: [`contact:${lateContact.event_id}`] });
    expect(summary.adjustments).toBe(2);
  });

  it('rating again from the same facts writes nothing new', async () => {
    const summary = await rateRange(worker.client, v1, v1.contracts, '2026-05-01', '2026-05-31', W2, { previousWatermarkMs: W2 });
    expect(summary.adjustments).toBe(0);
    expect(strip(await readLines(worker.client))).toEqual(strip(firstLines));
  });

  it('one rating at the end gives the same lines and adjustments as rating as the facts come', async () => {
    const rows = await readAdjustments(worker.client, { includeZero: true });
    await resetDatabase(worker.client);
    await insertFacts(worker.client, [...onTime, ...later], 1n);
    await rateRange(worker.client, v1, v1.contracts, '2026-05-01', '2026-05-31', W2, { previousWatermarkMs: null });
    expect(strip(await readLines(worker.client))).toEqual(strip(firstLines));
    expect(strip(await readAdjustments(worker.client, { includeZero: true }))).toEqual(strip(rows));
    // and back to the worker's ledger for the next test
    await resetDatabase(worker.client);
    await rateAsTheyCome(worker.client, v1);
  });

  it('new terms leave final lines alone: config_change rows make up the difference and reverse a line type no longer rated', async () => {
    const held = byId(await readLines(worker.client), LINE);
    const dry = await rateRange(worker.client, v2, v2.contracts, '2026-05-01', '2026-05-31', W2, { previousWatermarkMs: W2, dryRun: true });
    expect(dry.adjustments).toBeGreaterThan(0);
    expect(money(await readAdjustments(worker.client))).toHaveLength(2); // the dry run wrote nothing

    await rateRange(worker.client, v2, v2.contracts, '2026-05-01', '2026-05-31', W2, { previousWatermarkMs: W2 });
    const lines = await readLines(worker.client);
    // the final line is not written again (same version); the provisional day (May 6th) is rated under the new terms
    expect(byId(lines, LINE)).toEqual(held);
    expect(byId(lines, 'k:2026-05-06:contact_fee:PHONE')).toMatchObject({ amount_cents: 500n, status: 'provisional' });
    const rows = await readAdjustments(worker.client);
    expect(money(rows)).toEqual([
      // the open late row is rated again under the new terms: 3 × 500 − 2 × 500
      `${LINE}@2026-05-06:config_change 0.0000 160`,
      `${LINE}@2026-05-06:late_event 1.0000 500`,
      // minute fees are no longer rated: the open late row goes to 0 (not listed), the final line is reversed
      `${MINUTES}@2026-05-06:config_change -2.0000 -120`,
      // May 5th is final too: 420 → 500 and its minute reversed
      'k:2026-05-05:contact_fee:PHONE@2026-05-06:config_change 0.0000 80',
      'k:2026-05-05:minute_fee:PHONE@2026-05-06:config_change -1.0000 -60',
    ]);
    // per line, what the ledger holds is what the new terms give: 840 + 500 + 160 = 3 × 500; 120 − 120 = 0
    expect((await readAdjustments(worker.client, { includeZero: true })).find((r) => r.adjustment_id === `${MINUTES}@2026-05-06:late_event`)).toMatchObject({ amount_delta_cents: 0n });
    expect(JSON.parse(rows.find((r) => r.cause === 'config_change')!.evidence)).toEqual({ config_version: configVersion(v2), rated_before: [configVersion(v1)] });
  });

  it('a backlog of late records: the row names the first 20 by arrival and counts the rest', async () => {
    await resetDatabase(worker.client);
    await insertFacts(worker.client, onTime, 1n);
    await rateRange(worker.client, v1, v1.contracts, '2026-05-01', '2026-05-31', W1, { previousWatermarkMs: null });
    const backlog = Array.from({ length: 25 }, (_, i) => contact({ provider_id: 'p', ended_at: utc('2026-05-04T12:00:00Z') + i }));
    // arrivals in the reverse order of the ids: the evidence follows arrival, not id
    await insertFacts(worker.client, backlog.map((event, i) => ({ topic: TOPICS.contacts, event, source: `t/1/${i}`, arrivedMs: W2 - i })), 2n);
    await rateRange(worker.client, v1, v1.contracts, '2026-05-01', '2026-05-31', W2, { previousWatermarkMs: W1 });
    const row = (await readAdjustments(worker.client)).find((r) => r.adjustment_id === `${LINE}@2026-05-06:late_event`)!;
    expect(row).toMatchObject({ quantity_delta: '25.0000', amount_delta_cents: 25n * 420n });
    expect(JSON.parse(row.evidence)).toEqual({ records: backlog.slice(5).reverse().map((e) => `contact:${e.event_id}`), more: 5 });
  });

  it('a late record that moves no amount joins the open row\'s evidence when it comes in a later rating the same day', async () => {
    await resetDatabase(worker.client);
    await insertFacts(worker.client, onTime, 1n);
    await rateRange(worker.client, v1, v1.contracts, '2026-05-01', '2026-05-31', W1, { previousWatermarkMs: null });
    await insertFacts(worker.client, [later[0]!], 2n);
    await rateRange(worker.client, v1, v1.contracts, '2026-05-01', '2026-05-31', W2, { previousWatermarkMs: W1 });
    // its repeat-contact signal comes an hour later, still on May 6th: contact fees do not change
    const s = signal({ contact_ended_at: lateContact.ended_at, contact_event_id: lateContact.event_id, prior_provider_id: 'p' });
    await insertSignals(worker.client, [s], 3n, new Map([[s.signal_id, W2 + 3_600_000]]));
    await rateRange(worker.client, v1, v1.contracts, '2026-05-01', '2026-05-31', W2 + 3_600_000, { previousWatermarkMs: W2 });
    const row = (await readAdjustments(worker.client)).find((r) => r.adjustment_id === `${LINE}@2026-05-06:late_event`)!;
    expect(row).toMatchObject({ quantity_delta: '1.0000', amount_delta_cents: 420n });
    expect(JSON.parse(row.evidence)).toEqual({ records: [`contact:${lateContact.event_id}`, `signal:${s.signal_id}`] });
  });
});
