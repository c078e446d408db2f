/**
 * The worker's batch logic without Kafka, on a real embedded ClickHouse: batches in arrival
 * order through AccrualsHandler (duplicates, a duplicate_contact_id, a crash re-read, coalesced
 * ratings) give the ledger a from-scratch rateRange over the same facts gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, eventTimeOf, replay, detectionSettingsOf, localDateOf, type ContactEvent, type InputEvent, type InputTopic } from '@cxg/engine';
import { createLogger, type BatchContext, type Consumed } from '@cxg/platform';
import { VersionClock, rateRange, readAdjustments, readLines, readRatedStarts, readWatermark, rows, type StoredLine } from '@cxg/ledger';
import { config, contact, customer, journey, tempLedger, utc } from '@cxg/ledger/testing';
import { AccrualsHandler } from '../src/handler.ts';
import { createAccrualsMetrics } from '../src/metrics.ts';

const cfg = config(`
timezone: Europe/Berlin
contracts:
  - id: h-a
    provider_id: ha
    valid_from: 2026-10-20
    valid_to: 2026-12-31
    scope: {intent_families: [billing]}
    transactional: {per_contact_cents: {PHONE: 420, CHAT: 300}, per_minute_cents: {PHONE: 60}}
    gainshare:
      cost_per_contact_cents: 650
      baseline: {repeat_rate: 0.22, switch_rate: 0.35}
      provider_share: 0.40
      painshare: true
      quality_gate: [{kpi: csat_top2, min: 0.5}]
    per_customer: {monthly_fee_cents: 120, won_customer_bonus_cents: 1500, min_active_customers: 5}
    upsell: {commission_pct: 5}
  - id: h-b
    provider_id: hb
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    transactional: {per_contact_cents: {PHONE: 390}}
    per_customer: {monthly_fee_cents: 100}
`);

/** A small deterministic PRNG, so the test data is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1_664_525 + 1_013_904_223) >>> 0) / 2 ** 32);
}

const NOW = utc('2026-11-27T00:00:00Z');
const rand = rng(7);
const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const events: Array<{ topic: InputTopic; value: InputEvent }> = [];
const START = utc('2026-10-29T00:00:00Z'); // Oct 29 .. Nov 2: crosses a month end
for (let i = 0; i < 12; i++) {
  events.push({ topic: TOPICS.customers, value: customer({ customer_id: `hu${i}`, provider_id: i % 3 === 0 ? 'hb' : 'ha', occurred_at: utc('2026-10-01T00:00:00Z') + i }) });
}
for (let i = 0; i < 260; i++) {
  const t = START + Math.floor(rand() * 4.2 * 86_400_000);
  const u = `hu${Math.floor(rand() * 12)}`;
  const r = rand();
  if (r < 0.7) {
    const abandoned = rand() < 0.1;
    const handle = 30_000 + Math.floor(rand() * 600_000);
    events.push({
      topic: TOPICS.contacts,
      value: contact({
        customer_id: u,
        provider_id: pick(['ha', 'ha', 'hb']),
        channel: pick(['PHONE', 'PHONE', 'CHAT', 'EMAIL'] as const),
        intent: pick(['billing.invoice', 'tech.modem']),
        ended_at: t,
        answered_at: abandoned ? null : t - handle,
        started_at: t - handle - Math.floor(rand() * 40_000),
        csat: abandoned || rand() < 0.5 ? null : 1 + Math.floor(rand() * 5),
        sale_cents: abandoned || rand() < 0.8 ? 0 : Math.floor(rand() * 5000),
      }),
    });
  } else if (r < 0.9) {
    events.push({ topic: TOPICS.web, value: journey({ customer_id: u, ended_at: t, outcome: pick(['FAILED', 'ABANDONED', 'COMPLETED'] as const), journey: pick(['billing.pay', 'tech.reset']) }) });
  } else {
    events.push({ topic: TOPICS.customers, value: customer({ customer_id: u, provider_id: pick(['ha', 'hb']), type: pick(['ACTIVATED', 'DEACTIVATED'] as const), won_by_provider: rand() < 0.5, occurred_at: t }) });
  }
}
events.sort((a, b) => eventTimeOf(a.value) - eventTimeOf(b.value));
// Faults: a re-sent record (duplicate), and a new event_id for a known contact_id.
const firstContact = events.find((e) => e.topic === TOPICS.contacts)!.value as ContactEvent;
events.push({ topic: TOPICS.contacts, value: { ...firstContact } });
events.push({ topic: TOPICS.contacts, value: { ...firstContact, event_id: `${firstContact.event_id}-again` } });

const { signals, watermarkMs } = replay(
  events.map((e, i) => ({ line: i + 1, topic: e.topic, value: e.value })),
  { nowMs: NOW, settings: detectionSettingsOf(cfg.detection) },
);

let ledger: Awaited<ReturnType<typeof tempLedger>>;
let handler: AccrualsHandler;
const rejected: string[] = [];
const metrics = createAccrualsMetrics();

/** Kafka-like delivery: per topic, two partitions by customer, offsets counting up. */
const offsets = new Map<string, number>();
function batchOf(topic: string, values: readonly unknown[], partition: number): { records: Consumed[]; ctx: BatchContext } {
  const key = `${topic}:${partition}`;
  const first = offsets.get(key) ?? 0;
  const records = values.map((value, i) => ({ topic, partition, offset: String(first + i), key: null, value }));
  offsets.set(key, first + values.length);
  return { records, ctx: { topic, partition, nextOffset: String(first + values.length), reject: (_r, reason) => rejected.push(reason) } };
}

const strip = (lines: StoredLine[]) => lines.map(({ version: _v, ...l }) => l);

beforeAll(async () => {
  ledger = await tempLedger('handler');
  handler = new AccrualsHandler({ client: ledger.client, config: cfg, metrics, versions: new VersionClock(), log: createLogger('test', 'warn'), now: () => NOW });
  await handler.init();
}, 60_000);
afterAll(async () => ledger?.close());

describe('AccrualsHandler', () => {
  it('stores, judges and rates batches; a re-read batch is accepted again without changing anything', async () => {
    const part = (e: { value: InputEvent }) => ((e.value as { customer_id: string | null }).customer_id ?? '').length % 2;
    for (let i = 0; i < events.length; i += 25) {
      const slice = events.slice(i, i + 25);
      for (const topic of [TOPICS.contacts, TOPICS.web, TOPICS.customers] as const) {
        for (const p of [0, 1]) {
          const values = slice.filter((e) => e.topic === topic && part(e) === p).map((e) => e.value);
          if (values.length === 0) continue;
          const { records, ctx } = batchOf(topic, values, p);
          const committed = await handler.onBatch(records, ctx);
          expect(committed).toEqual([]); // nothing commits before it is rated
          if (i === 100 && p === 0) {
            // a crash after the facts were written: the same deliveries come again
            await handler.onBatch(records, ctx);
          }
        }
      }
      const sigs = signals.filter((s) => s.contact_ended_at >= eventTimeOf(slice[0]!.value) && s.contact_ended_at <= eventTimeOf(slice.at(-1)!.value));
      if (sigs.length > 0) await handler.onBatch(...Object.values(batchOf(TOPICS.signals, sigs, 0)) as [Consumed[], BatchContext]);
      if (i % 50 === 0) expect((await handler.onTick()).length).toBeGreaterThan(0);
    }
    await handler.onTick();
    expect(rejected).toEqual(['duplicate_contact_id']);
    expect(handler.watermarkMs).toBe(watermarkMs);
    expect(await readWatermark(ledger.client)).toBe(watermarkMs);
    const [n] = await rows<{ n: string }>(ledger.client, 'SELECT count() AS n FROM contacts FINAL');
    expect(Number(n!.n)).toBe(events.filter((e) => e.topic === TOPICS.contacts).length - 2);
  });

  it('the incremental ledger equals a from-scratch rating of the same facts', async () => {
    const incremental = await readLines(ledger.client);
    expect(incremental.length).toBeGreaterThan(100);
    // October closed (the watermark is in November), both contracts rated up to the watermark day
    expect(incremental.filter((l) => l.line_type === 'customer_floor_malus').map((l) => `${l.date}:${l.status}`)).toEqual(['2026-10-31:final']);
    const lastDay = localDateOf(watermarkMs!, 'Europe/Berlin');
    expect(incremental.filter((l) => l.contract_id === 'h-b').at(-1)!.date).toBe(lastDay);
    await rateRange(ledger.client, cfg, cfg.contracts, '2026-01-01', '2026-12-31', watermarkMs!);
    expect(strip(await readLines(ledger.client))).toEqual(strip(incremental));
  });

  it('a failed rating keeps its days and offsets for the next tick', async () => {
    const flaky = Object.create(ledger.client) as typeof ledger.client;
    let fail = true;
    flaky.insert = (async (params: Parameters<typeof ledger.client.insert>[0]) => {
      // the late contact's day is final: its change is an adjustment, not a rewritten line
      if (fail && params.table === 'accrual_adjustments') {
        fail = false;
        throw new Error('ClickHouse went away');
      }
      return ledger.client.insert(params);
    }) as typeof ledger.client.insert;
    const h = new AccrualsHandler({ client: flaky, config: cfg, metrics: createAccrualsMetrics(), versions: new VersionClock(), log: createLogger('test', 'warn'), now: () => NOW });
    await h.init();
    const late = contact({ provider_id: 'ha', ended_at: utc('2026-10-30T10:00:00Z'), sale_cents: 100_000 });
    const { records, ctx } = batchOf(TOPICS.contacts, [late], 0);
    expect(await h.onBatch(records, ctx)).toEqual([]);
    await expect(h.onTick()).rejects.toThrow(/went away/);
    expect(await h.onTick()).toEqual([{ topic: TOPICS.contacts, partition: 0, offset: ctx.nextOffset }]);
    const upsell = (await readLines(ledger.client, { contractIds: ['h-a'], from: '2026-10-30', to: '2026-10-30', lineTypes: ['upsell_commission'] }))[0]!;
    expect(JSON.parse(upsell.basis).sale_cents).toBeLessThan(100_000);
    const booked = (await readAdjustments(ledger.client, { contractIds: ['h-a'] })).filter((a) => a.accrual_id === upsell.accrual_id);
    expect(booked).toMatchObject([{ cause: 'late_event', booked_on: localDateOf(watermarkMs!, 'Europe/Berlin'), quantity_delta: '100000.0000' }]);
    expect(JSON.parse(booked[0]!.evidence)).toEqual({ records: [`contact:${late.event_id}`] });
  });

  it('exports month-to-date cents per contract and line type', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/cx_accrual_cents\{contract="h-a",line_type="contact_fee",worker="accruals"\} \d+/);
  });

  it('a new contracts file settles the ledger once: final lines kept, changes posted as config_change adjustments', async () => {
    const changed = config(cfg.text.replace('per_contact_cents: {PHONE: 390}', 'per_contact_cents: {PHONE: 400}'));
    const h = new AccrualsHandler({ client: ledger.client, config: changed, metrics: createAccrualsMetrics(), versions: new VersionClock(), log: createLogger('test', 'warn'), now: () => NOW });
    await h.init();
    const final = (await readLines(ledger.client)).filter((l) => l.status === 'final');
    const before = (await readAdjustments(ledger.client)).length;
    expect(await h.settleConfigChange()).toBeGreaterThan(0);
    const posted = (await readAdjustments(ledger.client)).filter((a) => a.cause === 'config_change');
    expect(posted.length).toBeGreaterThan(0);
    // only h-b's phone price moved: 10 cents more per contact it holds, booked on the watermark's day
    expect(posted.every((a) => a.contract_id === 'h-b' && a.line_type === 'contact_fee' && a.amount_delta_cents > 0n && a.amount_delta_cents % 10n === 0n)).toBe(true);
    expect(new Set(posted.map((a) => a.booked_on))).toEqual(new Set([localDateOf(h.watermarkMs!, 'Europe/Berlin')]));
    expect((await readLines(ledger.client)).filter((l) => l.status === 'final' && final.some((f) => f.accrual_id === l.accrual_id))).toEqual(final);
    // settled once: a restart with the same file posts nothing
    expect(await h.settleConfigChange()).toBe(0);
    expect((await readAdjustments(ledger.client)).length).toBe(before + posted.length);
  });

  it('a ledger starts at its provider’s first record; an earlier record arriving later moves the start back, and a restart keeps it', async () => {
    const startCfg = config(`
timezone: Europe/Berlin
contracts:
  - {id: s-z, provider_id: sz, valid_from: 2026-01-01, valid_to: 2026-12-31, transactional: {per_contact_cents: {PHONE: 400}}, per_customer: {monthly_fee_cents: 100, min_active_customers: 10}}
`);
    // The same directory (chdb opens one per process); provider sz has no other facts.
    const own = ledger;
    {
      const make = () => new AccrualsHandler({ client: own.client, config: startCfg, metrics: createAccrualsMetrics(), versions: new VersionClock(), log: createLogger('test', 'warn'), now: () => NOW });
      const h = make();
      await h.init();
      const dates = async () => [...new Set((await readLines(own.client, { contractIds: ['s-z'] })).map((l) => l.date))];
      const send = async (handler: AccrualsHandler, ended: string) => {
        const { records, ctx } = batchOf(`${TOPICS.contacts}`, [contact({ provider_id: 'sz', ended_at: utc(ended) })], 7);
        await handler.onBatch(records, ctx);
        await handler.onTick();
      };
      await send(h, '2026-11-10T10:00:00Z');
      expect(await dates()).toEqual(['2026-11-10']);
      await send(h, '2026-11-05T10:00:00Z'); // late, behind the watermark
      expect(await dates()).toEqual(['2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08', '2026-11-09', '2026-11-10']);
      expect((await readRatedStarts(own.client)).get('s-z')).toBe('2026-11-05');
      const incremental = strip(await readLines(own.client, { contractIds: ['s-z'] }));
      await rateRange(own.client, startCfg, startCfg.contracts, '2026-01-01', '2026-12-31', h.watermarkMs!);
      expect(strip(await readLines(own.client, { contractIds: ['s-z'] }))).toEqual(incremental);
      // a restarted worker knows where it rated from: a later record re-rates only its own day
      const versionsOf = async (date: string) => (await readLines(own.client, { contractIds: ['s-z'], from: date, to: date })).map((l) => l.version);
      const before = await versionsOf('2026-11-06');
      const again = make();
      await again.init();
      await send(again, '2026-11-10T11:00:00Z');
      expect(await dates()).toEqual(['2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08', '2026-11-09', '2026-11-10']);
      expect(await versionsOf('2026-11-06')).toEqual(before);
    }
  });
});
