/** Test fixtures for the ledger and its users (`@cxg/ledger/testing`): a throw-away embedded ClickHouse, a config from YAML, events with defaults. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainPending } from 'chdb';
import { parseContractsConfig, type ContactEvent, type ContractsConfig, type CustomerEvent, type JourneySignal, type WebJourneyEvent } from '@cxg/engine';
import { openLedger, type ClickHouseClient } from './clickhouse.ts';
import type { StoredLine } from './ledger.ts';
import type { AdjustmentCause, StoredAdjustment } from './adjustments.ts';

/** A fresh embedded ClickHouse in its own temp directory (one per test file: one chdb dir per process). */
export async function tempLedger(label: string): Promise<{ client: ClickHouseClient; url: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `cxg-${label}-`));
  const url = `chdb://${dir}`;
  const client = await openLedger(url);
  return {
    client,
    url,
    close: async () => {
      await client.close();
      await drainPending();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const config = (yaml: string): ContractsConfig => parseContractsConfig(yaml, 'test.yaml');

export const utc = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad ISO time ${iso}`);
  return ms;
};

let n = 0;
const next = (p: string) => `${p}${++n}`;

export function contact(patch: Partial<ContactEvent> & { ended_at: number }): ContactEvent {
  const answered = patch.answered_at === undefined ? patch.ended_at - 60_000 : patch.answered_at;
  const id = next('e');
  return {
    event_id: id,
    contact_id: `c-${id}`,
    customer_id: 'u0',
    provider_id: 'p',
    agent_id: null,
    channel: 'PHONE',
    queue: 'q',
    intent: 'billing.invoice',
    started_at: (answered ?? patch.ended_at) - 5_000,
    answered_at: answered,
    outcome: answered === null ? 'ABANDONED' : 'RESOLVED',
    csat: null,
    sale_cents: 0,
    ...patch,
  };
}

export function journey(patch: Partial<WebJourneyEvent> & { ended_at: number }): WebJourneyEvent {
  const id = next('j');
  return {
    event_id: id,
    session_id: `s-${id}`,
    customer_id: 'u0',
    journey: 'billing.pay',
    started_at: patch.ended_at - 60_000,
    outcome: 'FAILED',
    last_step: 'x',
    error_code: null,
    ...patch,
  };
}

export function customer(patch: Partial<CustomerEvent> & { customer_id: string; occurred_at: number }): CustomerEvent {
  return { event_id: next('ce'), provider_id: 'p', type: 'ACTIVATED', won_by_provider: false, ...patch };
}

export function signal(patch: Partial<JourneySignal> & { contact_ended_at: number }): JourneySignal {
  const id = next('s');
  return {
    signal_id: id,
    kind: 'REPEAT_CONTACT',
    customer_id: 'u0',
    contact_event_id: `ce-${id}`,
    contact_id: `cc-${id}`,
    contact_provider_id: 'p',
    contact_channel: 'PHONE',
    intent_family: 'billing',
    prior_event_id: `pe-${id}`,
    prior_id: `pc-${id}`,
    prior_provider_id: 'p',
    prior_ended_at: patch.contact_ended_at - 3_600_000,
    gap_ms: 3_000_000,
    ...patch,
  };
}

// The big-number fixture shared by the ledger's and the accruals worker's tests (docs/accruals.md,
// "Big numbers"): contracts k-big, k-over and k-fine, and days whose Σ sale_cents passes 10^14, whose
// amount passes 2^53, whose Σ passes 2^63, and one whose amount is beyond the Int64 range of cents.
const cfg = config(`
timezone: UTC
contracts:
  - id: k-big
    provider_id: pb
    valid_from: 2026-05-01
    valid_to: 2026-05-31
    transactional: {per_contact_cents: {PHONE: 420}}
    upsell: {commission_pct: 5}
  - id: k-over
    provider_id: po
    valid_from: 2026-05-01
    valid_to: 2026-05-31
    upsell: {commission_pct: 100}
  - id: k-fine
    provider_id: pf
    valid_from: 2026-05-01
    valid_to: 2026-05-31
    transactional: {per_contact_cents: {PHONE: 420}}
    upsell: {commission_pct: 5}
`);

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER); // the largest sale_cents one record may carry
const INT64_MAX = 2n ** 63n - 1n;
const sale = (provider: string, date: string, i: number, cents: number) =>
  contact({ provider_id: provider, ended_at: utc(`${date}T10:00:00Z`) + i, sale_cents: cents });

// k-big, 2026-05-04: Σ = 120 000 000 000 007 ≥ 10^14 (Decimal(18, 4) held less than 10^14)
const dayA = [40_000_000_000_000, 40_000_000_000_003, 40_000_000_000_004].map((c, i) => sale('pb', '2026-05-04', i, c));
const SUM_A = 120_000_000_000_007n;
// k-big, 2026-05-05: 25 × (2^53 − 1); 5 % of it passes 2^53
const dayB = Array.from({ length: 25 }, (_, i) => sale('pb', '2026-05-05', i, Number.MAX_SAFE_INTEGER));
const SUM_B = 25n * MAX_SAFE;
// k-big, 2026-05-06: 1100 × (2^53 − 1) passes 2^63: a wrapping Int64 sum would turn it negative
const dayC = Array.from({ length: 1100 }, (_, i) => sale('pb', '2026-05-06', i, Number.MAX_SAFE_INTEGER));
const SUM_C = 1100n * MAX_SAFE;
// k-over, 2026-05-06: the same sales at 100 % commission: an amount beyond the Int64 range of cents
const dayOver = Array.from({ length: 1100 }, (_, i) => sale('po', '2026-05-06', i, Number.MAX_SAFE_INTEGER));
// k-fine: an ordinary contact each day
const fine = ['2026-05-04', '2026-05-05', '2026-05-06'].map((d, i) => sale('pf', d, i, 1234));
const WATERMARK = utc('2026-05-06T10:00:05Z');

/** round half away from zero of n × pct / 100 for n ≥ 0 */
const commission = (n: bigint, pct: bigint) => (2n * n * pct + 100n) / 200n;

export const BIG_NUMBERS = { cfg, sale, MAX_SAFE, INT64_MAX, dayA, SUM_A, dayB, SUM_B, dayC, SUM_C, dayOver, fine, WATERMARK, commission };

/** A ledger line as read back, of contract `contract` (provider p, EUR, version 1): statement tests build months from these. */
export function storedLine(date: string, line_type: string, channel: string | null, quantity: string, cents: number | bigint, status: 'final' | 'provisional' = 'final', contract = 'k'): StoredLine {
  return {
    accrual_id: `${contract}:${date}:${line_type}:${channel ?? '-'}`,
    contract_id: contract,
    provider_id: 'p',
    date,
    line_type,
    channel,
    quantity,
    amount_cents: BigInt(cents),
    currency: 'EUR',
    status,
    basis: '{}',
    version: '1',
  };
}

/** A stored late_event adjustment of the line `accrualId` (`<contract>:<date>:<type>:<channel or ->`), booked on `bookedOn`, final a day and 2 min after (UTC). */
export function storedAdjustment(accrualId: string, bookedOn: string, quantity: string, cents: bigint, cause: AdjustmentCause = 'late_event'): StoredAdjustment {
  const [contract, date, lineType, channel] = accrualId.split(':') as [string, string, string, string];
  return {
    adjustment_id: `${accrualId}@${bookedOn}:${cause}`,
    accrual_id: accrualId,
    contract_id: contract,
    provider_id: 'p',
    service_date: date,
    line_type: lineType,
    channel: channel === '-' ? null : channel,
    booked_on: bookedOn,
    quantity_delta: quantity,
    amount_delta_cents: cents,
    currency: 'EUR',
    cause,
    evidence: '{"records":["contact:e1"]}',
    config_version: 'v',
    final_at_ms: Date.parse(`${bookedOn}T00:02:00Z`) + 86_400_000,
    version: '1',
  };
}
