/**
 * rateRange on a real embedded ClickHouse: lines from facts, month close, status by watermark,
 * a contract starting mid-month, and re-rating that replaces lines instead of adding to them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, type InputEvent, type InputTopic } from '@cxg/engine';
import { insertFacts, insertSignals } from '../src/facts.ts';
import { readLines, type StoredLine } from '../src/ledger.ts';
import { rateRange } from '../src/rating.ts';
import { VersionClock } from '../src/version.ts';
import { config, contact, customer, journey, signal, tempLedger, utc } from '../src/testing.ts';

const cfg = config(`
timezone: Europe/Berlin
contracts:
  - id: k-a
    provider_id: pa
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    scope: {intent_families: [billing]}
    transactional:
      per_contact_cents: {PHONE: 420, CHAT: 300}
      per_minute_cents: {PHONE: 60}
    gainshare:
      cost_per_contact_cents: 650
      baseline: {repeat_rate: 0.22, switch_rate: 0.35}
      provider_share: 0.40
      monthly_cap_cents: 1000
      quality_gate: [{kpi: csat_top2, min: 0.75}]
    upsell: {commission_pct: 5}
  - id: k-mid
    provider_id: pm
    valid_from: 2026-03-10
    valid_to: 2026-06-30
    transactional: {per_contact_cents: {PHONE: 400}}
    per_customer:
      monthly_fee_cents: 110
      min_active_customers: 3
`);
const [KA, KM] = cfg.contracts as [NonNullable<(typeof cfg.contracts)[0]>, NonNullable<(typeof cfg.contracts)[0]>];

const facts: Array<{ topic: InputTopic; event: InputEvent; source: string }> = [];
const add = (topic: InputTopic, event: InputEvent) => facts.push({ topic, event, source: `t/0/${facts.length}` });

// pa on 2026-03-29 (the 23 h day): 2 PHONE (90 s + 30 s handle), 1 CHAT; sale 1234; 1 repeat, 3 failed billing journeys, 1 switch.
add(TOPICS.contacts, contact({ provider_id: 'pa', ended_at: utc('2026-03-29T08:00:00Z'), answered_at: utc('2026-03-29T07:58:30Z'), csat: 5, sale_cents: 1234 }));
add(TOPICS.contacts, contact({ provider_id: 'pa', ended_at: utc('2026-03-29T09:00:00Z'), answered_at: utc('2026-03-29T08:59:30Z'), csat: 4 }));
add(TOPICS.contacts, contact({ provider_id: 'pa', channel: 'CHAT', ended_at: utc('2026-03-29T10:00:00Z'), answered_at: utc('2026-03-29T09:59:00Z') }));
for (let i = 0; i < 3; i++) add(TOPICS.web, journey({ ended_at: utc(`2026-03-29T0${i + 1}:00:00Z`) }));
const sigs = [
  signal({ contact_ended_at: utc('2026-03-29T09:00:00Z'), prior_provider_id: 'pa', contact_provider_id: 'pa' }),
  signal({ contact_ended_at: utc('2026-03-29T11:00:00Z'), kind: 'CHANNEL_SWITCH', prior_provider_id: null, contact_provider_id: 'pa' }),
];
// pm: 4 customers active from 2026-03-01, one leaves on 2026-03-20 (local), one PHONE contact on 03-05 (before validity) and one on 03-12.
for (const u of ['m1', 'm2', 'm3', 'm4']) add(TOPICS.customers, customer({ customer_id: u, provider_id: 'pm', occurred_at: utc('2026-03-01T00:00:00Z') }));
add(TOPICS.customers, customer({ customer_id: 'm4', provider_id: 'pm', type: 'DEACTIVATED', occurred_at: utc('2026-03-20T12:00:00Z') }));
add(TOPICS.contacts, contact({ provider_id: 'pm', ended_at: utc('2026-03-05T12:00:00Z') }));
add(TOPICS.contacts, contact({ provider_id: 'pm', ended_at: utc('2026-03-12T12:00:00Z') }));

// End of 2026-03-31 in Berlin is 22:00Z; with L = 2 min the month closes at 22:02Z.
const W_CLOSED = utc('2026-03-31T22:02:00Z');

let ledger: Awaited<ReturnType<typeof tempLedger>>;
const versions = new VersionClock();
const strip = (lines: StoredLine[]) => lines.map(({ version: _v, ...l }) => l);
const find = (lines: StoredLine[], date: string, type: string, channel: string | null = null) =>
  lines.find((l) => l.date === date && l.line_type === type && l.channel === channel);

beforeAll(async () => {
  ledger = await tempLedger('rating');
  await insertFacts(ledger.client, facts, 1n);
  await insertSignals(ledger.client, sigs, 1n);
}, 60_000);
afterAll(async () => ledger?.close());

describe('rateRange', () => {
  let first: StoredLine[];

  it('rates every day of validity up to the watermark day and closes the month', async () => {
    const summary = await rateRange(ledger.client, cfg, cfg.contracts, '2026-03-01', '2026-03-31', W_CLOSED, { versions });
    expect(summary.closedMonths).toEqual(['k-a:2026-03', 'k-mid:2026-03']);
    first = await readLines(ledger.client);
    const mid = first.filter((l) => l.contract_id === 'k-mid');
    expect(new Set(mid.map((l) => l.date)).size).toBe(22); // 03-10 .. 03-31
    expect(mid.every((l) => l.date >= '2026-03-10' && l.status === 'final')).toBe(true);
  });

  it('daily lines of the 23 h day, amounts by docs/accruals.md', () => {
    const d = '2026-03-29';
    expect(find(first, d, 'contact_fee', 'PHONE')).toMatchObject({ quantity: '2.0000', amount_cents: 840n });
    expect(find(first, d, 'contact_fee', 'CHAT')).toMatchObject({ quantity: '1.0000', amount_cents: 300n });
    // 120 s = 2 minutes × 60
    expect(find(first, d, 'minute_fee', 'PHONE')).toMatchObject({ quantity: '2.0000', amount_cents: 120n });
    // avoided = 0.22 × 3 − 1 < 0 → 0 without painshare
    expect(find(first, d, 'gainshare_repeat')).toMatchObject({ quantity: '0.0000', amount_cents: 0n });
    // avoided = 0.35 × 3 − 1 = 0.05 → 0.05 × 650 × 0.4 = 13
    expect(find(first, d, 'gainshare_switch')).toMatchObject({ quantity: '0.0500', amount_cents: 13n });
    // 1234 × 5 % = 61.7 → 62
    expect(find(first, d, 'upsell_commission')).toMatchObject({ quantity: '1234.0000', amount_cents: 62n });
    expect(JSON.parse(find(first, d, 'gainshare_switch')!.basis)).toMatchObject({ failed_journeys: 3, switches: 1, unrounded_cents: '13' });
  });

  it('month close: cap not reached, gate passed; floor malus over the 22 valid days of a mid-month start', () => {
    expect(find(first, '2026-03-31', 'gainshare_cap')).toMatchObject({ amount_cents: 0n, status: 'final' });
    expect(find(first, '2026-03-31', 'gainshare_quality_gate')).toMatchObject({ amount_cents: 0n });
    // active: 4 on 03-10..03-19 (10 days), 3 on 03-20..03-31 (12 days) → avg 76/22 ≥ 3: no malus
    const floor = first.find((l) => l.contract_id === 'k-mid' && l.line_type === 'customer_floor_malus')!;
    expect(floor).toMatchObject({ date: '2026-03-31', amount_cents: 0n, quantity: '0.0000' });
    expect(JSON.parse(floor.basis)).toMatchObject({ days: 22, active_customer_days: 76 });
    // customer_fee: 4 × 110 / 31 = 14.19 → 14; contact on 03-05 is before validity, 03-12 counts
    expect(first.find((l) => l.contract_id === 'k-mid' && l.date === '2026-03-10' && l.line_type === 'customer_fee')).toMatchObject({ quantity: '4.0000', amount_cents: 14n });
    expect(first.find((l) => l.contract_id === 'k-mid' && l.date === '2026-03-12' && l.line_type === 'contact_fee')).toMatchObject({ amount_cents: 400n });
  });

  it('re-rating from the same facts gives an identical ledger under higher versions', async () => {
    await rateRange(ledger.client, cfg, cfg.contracts, '2026-03-01', '2026-03-31', W_CLOSED, { versions });
    const again = await readLines(ledger.client);
    expect(strip(again)).toEqual(strip(first));
    expect(again.every((l, i) => BigInt(l.version) > BigInt(first[i]!.version))).toBe(true);
    // a fresh process (its own clock) agrees too
    await rateRange(ledger.client, cfg, cfg.contracts, '2026-03-01', '2026-03-31', W_CLOSED);
    expect(strip(await readLines(ledger.client))).toEqual(strip(first));
  });

  it('a new fact changes the re-rated day in place (same ids, no added lines), and the month close follows', async () => {
    await insertFacts(ledger.client, [{ topic: TOPICS.contacts, event: contact({ provider_id: 'pa', ended_at: utc('2026-03-29T12:00:00Z'), csat: 1 }), source: 'x' }], 1n);
    await rateRange(ledger.client, cfg, [KA], '2026-03-29', '2026-03-29', W_CLOSED, { versions });
    const after = await readLines(ledger.client);
    expect(after.map((l) => l.accrual_id)).toEqual(first.map((l) => l.accrual_id));
    expect(find(after, '2026-03-29', 'contact_fee', 'PHONE')).toMatchObject({ quantity: '3.0000', amount_cents: 1260n });
    // csat_top2 = 2/3 < 0.75: the gate forfeits the month's positive gainshare (13)
    expect(find(after, '2026-03-31', 'gainshare_quality_gate')).toMatchObject({ amount_cents: -13n });
  });

  it('status: provisional until the watermark passes the end of the day plus L', async () => {
    const w = utc('2026-03-29T22:01:59.999Z'); // end of 03-29 (22:00Z, the 23 h day) + L − 1 ms
    await rateRange(ledger.client, cfg, [KA], '2026-03-28', '2026-03-31', w, { versions });
    let lines = await readLines(ledger.client, { contractIds: ['k-a'], from: '2026-03-28', to: '2026-03-31' });
    // pa's first record is on 03-29: its ledger starts there
    expect(lines.filter((l) => l.date === '2026-03-28')).toEqual([]);
    expect(new Set(lines.filter((l) => l.date === '2026-03-29').map((l) => l.status))).toEqual(new Set(['provisional']));
    // w is 00:01:59.999 local on 03-30: the watermark's day is rated, provisional
    expect(new Set(lines.filter((l) => l.date === '2026-03-30').map((l) => l.status))).toEqual(new Set(['provisional']));
    // 03-31 is after the watermark's day: not rated at w, its earlier (final) lines stay
    expect(new Set(lines.filter((l) => l.date === '2026-03-31').map((l) => l.status))).toEqual(new Set(['final']));
    await rateRange(ledger.client, cfg, [KA], '2026-03-29', '2026-03-29', w + 1, { versions });
    lines = await readLines(ledger.client, { contractIds: ['k-a'], from: '2026-03-29', to: '2026-03-29' });
    expect(new Set(lines.map((l) => l.status))).toEqual(new Set(['final']));
  });

  it('starts where the provider’s data starts, or at a configured ledger_start (never before valid_from)', async () => {
    const w = utc('2026-03-29T22:02:00Z');
    const before = (ls: StoredLine[]) => ls.filter((l) => l.date < '2026-03-29');
    expect((await rateRange(ledger.client, cfg, [KA], '2026-03-01', '2026-03-29', w, { versions })).days).toBe(1);
    expect(before(await readLines(ledger.client, { contractIds: ['k-a'], from: '2026-03-01', to: '2026-03-28' }))).toEqual([]);
    // pm's first record (customer events) is on 03-01, before k-mid's validity: it starts at valid_from
    expect((await rateRange(ledger.client, cfg, [KM], '2026-03-01', '2026-03-12', w, { versions })).days).toBe(3);
    const earlier = { ...KA, id: 'k-a-start', ledger_start: '2026-03-27' };
    expect((await rateRange(ledger.client, cfg, [earlier], '2026-03-01', '2026-03-29', w, { versions })).days).toBe(3);
    const later = { ...KA, id: 'k-a-late', ledger_start: '2027-01-01' };
    expect(await rateRange(ledger.client, cfg, [later], '2026-03-01', '2026-03-29', w, { versions })).toMatchObject({ chunks: 0, days: 0 });
  });

  it('rates nothing before validity or after the watermark day', async () => {
    const s = await rateRange(ledger.client, cfg, [KM], '2026-02-01', '2026-03-09', W_CLOSED, { versions });
    expect(s).toMatchObject({ chunks: 0, lines: 0 });
  });
});
