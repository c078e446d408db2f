// `cxg replay` end to end as a user runs it (docs/replay.md): the JSON document's accruals and
// monthly_kpis from a small hand-made file, and exit 2 for a target that is the worker's database.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEndpoints } from '@cxg/platform';
import { spawnCxg } from './helpers.ts';

const t = (iso: string) => Date.parse(iso);
const contact = (n: number, customer: string, provider: string, start: string, handleMs: number, patch: object = {}) => ({
  topic: 'cx.contacts.v1',
  value: {
    event_id: `rpa-e${n}`, contact_id: `rpa-c${n}`, customer_id: customer, provider_id: provider, agent_id: null, channel: 'PHONE', queue: 'q',
    intent: 'billing.invoice', started_at: t(start), answered_at: t(start) + 10_000, ended_at: t(start) + 10_000 + handleMs, outcome: 'RESOLVED',
    csat: 5, sale_cents: 0, ...patch,
  },
});

function file(lines: object[]): string {
  const f = join(mkdtempSync(join(tmpdir(), 'cxg-replay-')), 'events.ndjson');
  writeFileSync(f, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return f;
}

async function run(args: string[], env: Record<string, string> = {}) {
  const cli = spawnCxg(args, env);
  const code = await new Promise<number | null>((r) => cli.child.once('exit', r));
  return { code, output: cli.output() };
}

describe('cxg replay: accruals and monthly KPIs', () => {
  it('prints the docs/replay.md accruals and monthly_kpis, rated by the contracts file', async () => {
    const events = file([
      // prov-b's contact on 2026-11-02, then prov-a's repeat of it two hours later (charged to prov-b)
      contact(1, 'rpa-u1', 'prov-b', '2026-11-02T09:00:00Z', 300_000),
      contact(2, 'rpa-u1', 'prov-a', '2026-11-02T11:00:00Z', 120_000, { sale_cents: 1000 }),
      contact(3, 'rpa-u2', 'prov-a', '2026-11-03T08:00:00Z', 60_000, { channel: 'CHAT', csat: null }),
      { topic: 'cx.contacts.v1', value: { event_id: 'rpa-bad' } },
    ]);
    const ch = `chdb://${mkdtempSync(join(tmpdir(), 'cxg-replay-ch-'))}`;
    const { code, output } = await run(['replay', '--events', events, '--config', readEndpoints().configFile, '--clickhouse', ch, '--json']);
    expect(code, output).toBe(0);
    const doc = JSON.parse(output) as {
      signals: unknown[];
      accruals: Array<Record<string, unknown>>;
      monthly_kpis: Array<Record<string, unknown>>;
      rejected: Array<{ line: number; reason: string }>;
    };
    expect(Object.keys(doc)).toEqual(['signals', 'accruals', 'adjustments', 'monthly_kpis', 'rejected', 'duplicates']);
    expect(doc.signals).toHaveLength(1);
    expect(doc.rejected).toEqual([{ line: 4, event_id: 'rpa-bad', reason: 'missing_field' }]);
    const a = doc.accruals.filter((l) => l.contract_id === 'c-prov-a-2026' && l.date === '2026-11-02');
    expect(a).toEqual([
      { contract_id: 'c-prov-a-2026', provider_id: 'prov-a', date: '2026-11-02', line_type: 'contact_fee', channel: 'PHONE', quantity: 1, amount_cents: 420, status: 'final' },
      { contract_id: 'c-prov-a-2026', provider_id: 'prov-a', date: '2026-11-02', line_type: 'minute_fee', channel: 'PHONE', quantity: 2, amount_cents: 120, status: 'final' },
      // avoided = 0.22 × 1 answered − 0 repeats charged to prov-a → 0.22 × 650 × 0.40 = 57.2
      { contract_id: 'c-prov-a-2026', provider_id: 'prov-a', date: '2026-11-02', line_type: 'gainshare_repeat', channel: null, quantity: 0.22, amount_cents: 57, status: 'final' },
      { contract_id: 'c-prov-a-2026', provider_id: 'prov-a', date: '2026-11-02', line_type: 'upsell_commission', channel: null, quantity: 1000, amount_cents: 50, status: 'final' },
    ]);
    // the watermark's own day stays provisional; prov-b's painshare counts its repeat: 0.25 × 1 − 1
    expect(doc.accruals.filter((l) => l.date === '2026-11-03').every((l) => l.status === 'provisional')).toBe(true);
    expect(doc.accruals.find((l) => l.contract_id === 'c-prov-b-2026' && l.line_type === 'gainshare_repeat')).toMatchObject({ quantity: -0.75, amount_cents: -225 });
    // the ledger starts at the provider's first record: nothing is booked for the months before the data
    expect(doc.accruals.filter((l) => l.contract_id === 'c-prov-a-2026' && String(l.date) < '2026-11-02')).toEqual([]);
    expect(doc.monthly_kpis).toEqual([
      { provider_id: 'prov-a', month: '2026-11', answered: 2, repeat_rate: 0, fcr_rate: 1, csat_top2: 1, service_level: 1, abandon_rate: 0, aht_seconds: 90, switch_share: 0 },
      { provider_id: 'prov-b', month: '2026-11', answered: 1, repeat_rate: 1, fcr_rate: 0, csat_top2: 1, service_level: 1, abandon_rate: 0, aht_seconds: 300, switch_share: 0 },
    ]);
  }, 120_000);

  it("exits 2 with one line when --clickhouse is the worker's database", async () => {
    const events = file([contact(9, 'rpa-u9', 'prov-a', '2026-11-02T09:00:00Z', 1000)]);
    const worker = `chdb://${mkdtempSync(join(tmpdir(), 'cxg-worker-ch-'))}`;
    const { code, output } = await run(['replay', '--events', events, '--clickhouse', worker, '--json'], { CLICKHOUSE_URL: worker });
    expect(code).toBe(2);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toMatch(/^cxg replay: --clickhouse .* is the accrual worker's database/);
  }, 60_000);
});
