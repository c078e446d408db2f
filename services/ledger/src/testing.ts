/** Test fixtures for the ledger and its users (`@cxg/ledger/testing`): a throw-away embedded ClickHouse, a config from YAML, events with defaults. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainPending } from 'chdb';
import { parseContractsConfig, type ContactEvent, type ContractsConfig, type CustomerEvent, type JourneySignal, type WebJourneyEvent } from '@cxg/engine';
import { openLedger, type ClickHouseClient } from './clickhouse.ts';

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
