import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_DETECTION_CONFIG, parseContractsConfig, parseDuration, formatDuration } from '../src/config/index.ts';
import type { ConfigIssue } from '../src/config/index.ts';
import { Decimal } from '../src/money/index.ts';

const FILE = 'config/contracts.yaml';
const EXAMPLE = fileURLToPath(new URL('../../../config/contracts.yaml', import.meta.url));

/** One valid contract; tests replace or append lines to break one thing at a time. */
const CONTRACT = `
  - id: c-prov-a-2026
    provider_id: prov-a
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    scope: {intent_families: [billing, tariff]}
    transactional:
      per_contact_cents: {PHONE: 420}
    gainshare:
      cost_per_contact_cents: 650
      baseline: {repeat_rate: 0.22, switch_rate: 0.35}
      provider_share: 0.40
      quality_gate: [{kpi: csat_top2, min: 0.75}]
    per_customer:
      monthly_fee_cents: 120
      min_active_customers: 900
    upsell: {commission_pct: 5}
    kpi_thresholds:
      - {kpi: repeat_rate, max: 0.25, window: 24h}`;

/** The required top-level zone, unless `top` sets its own. */
const TZ = 'timezone: Europe/Berlin\n';
const doc = (contracts: string, top = ''): string => `${/^timezone:/m.test(top) ? '' : TZ}${top}contracts:${contracts}\n`;

function errorOf(text: string): ConfigError {
  try {
    parseContractsConfig(text, FILE);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

function issueAt(err: ConfigError, path: string): ConfigIssue {
  const found = err.issues.find((i) => i.path === path);
  if (!found) throw new Error(`no issue at ${path}; got:\n${err.message}`);
  return found;
}

describe('parseContractsConfig: the example deployment', () => {
  const cfg = parseContractsConfig(readFileSync(EXAMPLE, 'utf8'), 'config/contracts.yaml');

  it('parses with three contracts for prov-a, prov-b, prov-c', () => {
    expect(cfg.contracts.map((c) => [c.id, c.provider_id])).toEqual([
      ['c-prov-a-2026', 'prov-a'],
      ['c-prov-b-2026', 'prov-b'],
      ['c-prov-c-2026-11', 'prov-c'],
    ]);
    expect(cfg.timezone).toBe('Europe/Berlin');
    expect(cfg.detection).toEqual(DEFAULT_DETECTION_CONFIG);
    expect(cfg.service_level_seconds).toBe(20);
  });

  it('keeps prov-a as in docs/contracts.md, with exact decimals', () => {
    const a = cfg.contracts[0]!;
    expect(a.transactional?.per_contact_cents).toEqual({ PHONE: 420, CHAT: 300, EMAIL: 250, MESSAGING: 280 });
    expect(a.gainshare?.provider_share.eq(Decimal.ratio(2n, 5n))).toBe(true);
    expect(a.gainshare?.baseline.repeat_rate?.toString()).toBe('0.22');
    expect(a.gainshare?.monthly_cap_cents).toBe(2_500_000);
    expect(a.per_customer?.quality_malus?.pct.toString()).toBe('10');
    expect(a.kpi_thresholds[0]).toMatchObject({ kpi: 'repeat_rate', window: '24h', min_samples: 50, min: null });
  });

  it('has prov-b with painshare and no cap, prov-c mid-month with a floor and no gainshare', () => {
    const [, b, c] = cfg.contracts;
    expect(b?.gainshare?.painshare).toBe(true);
    expect(b?.gainshare?.monthly_cap_cents).toBeNull();
    expect(b?.per_customer?.won_customer_bonus_cents).toBe(2000);
    expect(b?.upsell?.commission_pct.toString()).toBe('3.5');
    expect(c?.valid_from).toBe('2026-11-10');
    expect(c?.gainshare).toBeNull();
    expect(c?.per_customer?.min_active_customers).toBe(800);
  });
});

describe('parseContractsConfig: defaults and exactness', () => {
  it('applies the documented defaults to a minimal file (with its required timezone)', () => {
    const cfg = parseContractsConfig(doc('\n  - {id: k1, provider_id: p, valid_from: 2026-01-01, valid_to: 2026-01-31}'), FILE);
    expect(cfg.file).toBe(FILE);
    expect(cfg.timezone).toBe('Europe/Berlin');
    expect(cfg.detection).toEqual({
      repeat_window_ms: 604_800_000,
      switch_window_ms: 86_400_000,
      switch_outcomes: ['ABANDONED', 'FAILED'],
      switch_to_channels: ['PHONE'],
      match_intent_family: true,
      allowed_lateness_ms: 120_000,
    });
    expect(cfg.service_level_seconds).toBe(20);
    expect(cfg.contracts[0]).toEqual({
      id: 'k1',
      provider_id: 'p',
      currency: 'EUR',
      valid_from: '2026-01-01',
      valid_to: '2026-01-31',
      timezone: 'Europe/Berlin',
      ledger_start: null,
      scope: null,
      transactional: null,
      gainshare: null,
      per_customer: null,
      upsell: null,
      kpi_thresholds: [],
    });
  });

  it('ledger_start: the contract’s own, else the top-level one, else null; a bad date names its field', () => {
    const cfg = parseContractsConfig(
      doc(
        '\n  - {id: k1, provider_id: p, valid_from: 2026-01-01, valid_to: 2026-12-31, ledger_start: 2026-10-01}' +
          '\n  - {id: k2, provider_id: q, valid_from: 2026-01-01, valid_to: 2026-12-31}',
        'ledger_start: 2026-03-01\n',
      ),
      FILE,
    );
    expect(cfg.contracts.map((c) => c.ledger_start)).toEqual(['2026-10-01', '2026-03-01']);
    expect(parseContractsConfig(doc('\n  - {id: k1, provider_id: p, valid_from: 2026-01-01, valid_to: 2026-12-31}'), FILE).contracts[0]!.ledger_start).toBeNull();
    expect(() => parseContractsConfig(doc('\n  - {id: k1, provider_id: p, valid_from: 2026-01-01, valid_to: 2026-12-31, ledger_start: 2026-13-01}'), FILE)).toThrow(
      /contracts\[0\]\.ledger_start.*must be a date YYYY-MM-DD/s,
    );
  });

  it('fills threshold and block defaults, honours a contract timezone and partial detection', () => {
    const cfg = parseContractsConfig(
      doc(
        `
  - id: k1
    provider_id: p
    valid_from: 2026-01-01
    valid_to: 2026-01-31
    timezone: America/New_York
    gainshare: {cost_per_contact_cents: 100, provider_share: 0.5}
    kpi_thresholds: [{kpi: aht_seconds, max: 420, window: 1h}]`,
        'timezone: UTC\ndetection: {switch_window: 90m, allowed_lateness: 500ms}\nservice_level_seconds: 30\n',
      ),
      FILE,
    );
    const k = cfg.contracts[0]!;
    expect(cfg.timezone).toBe('UTC');
    expect(k.timezone).toBe('America/New_York');
    expect(cfg.detection.switch_window_ms).toBe(5_400_000);
    expect(cfg.detection.allowed_lateness_ms).toBe(500);
    expect(cfg.detection.repeat_window_ms).toBe(604_800_000);
    expect(cfg.service_level_seconds).toBe(30);
    expect(k.gainshare).toMatchObject({ painshare: false, monthly_cap_cents: null, quality_gate: [], baseline: { repeat_rate: null, switch_rate: null } });
    expect(k.kpi_thresholds[0]?.min_samples).toBe(1);
    expect(k.kpi_thresholds[0]?.clear_margin.isZero()).toBe(true);
    expect(k.kpi_thresholds[0]?.max?.toString()).toBe('420');
  });

  it('reads decimals from the source text, never through a float', () => {
    const cfg = parseContractsConfig(
      doc(`
  - id: k1
    provider_id: p
    valid_from: 2026-01-01
    valid_to: 2026-01-31
    gainshare:
      cost_per_contact_cents: 650
      baseline: {repeat_rate: 0.1234567890123456789, switch_rate: 1e-1}
      provider_share: 0.1
    upsell: {commission_pct: 33.333333333333333333}`),
      FILE,
    );
    const g = cfg.contracts[0]!.gainshare!;
    expect([g.provider_share.num, g.provider_share.den]).toEqual([1n, 10n]);
    expect(g.provider_share.mul(3).eq(Decimal.fromDecimalString('0.3'))).toBe(true);
    expect(g.baseline.repeat_rate?.toString()).toBe('0.1234567890123456789');
    expect(g.baseline.switch_rate?.eq(g.provider_share)).toBe(true);
    expect(cfg.contracts[0]!.upsell?.commission_pct.toString()).toBe('33.333333333333333333');
  });

  it('parses and formats durations', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('2m'), parseDuration('24h'), parseDuration('7d')]).toEqual([
      500, 30_000, 120_000, 86_400_000, 604_800_000,
    ]);
    expect([parseDuration('7'), parseDuration('1.5h'), parseDuration('-1s'), parseDuration('7D')]).toEqual([null, null, null, null]);
    expect([formatDuration(604_800_000), formatDuration(120_000), formatDuration(1500), formatDuration(0)]).toEqual(['7d', '2m', '1500ms', '0ms']);
  });
});

describe('parseContractsConfig: every error names the file and the field', () => {
  const broken = (from: string, to: string): string => {
    expect(CONTRACT).toContain(from);
    return doc(CONTRACT.replace(from, to));
  };

  it('formats the message as `file: path: message (line, col)`', () => {
    const err = errorOf(broken('provider_share: 0.40', 'provider_share: 1.4'));
    expect(err.issues).toHaveLength(1);
    expect(err.message).toBe(`${FILE}: contracts[0].gainshare.provider_share: must be between 0 and 1 (got 1.4) (line 13, col 23)`);
    expect(err.file).toBe(FILE);
    expect(err.name).toBe('ConfigError');
  });

  it.each([
    ['a share above 1', 'provider_share: 0.40', 'provider_share: 1.4', 'contracts[0].gainshare.provider_share', 'between 0 and 1 (got 1.4)'],
    ['a negative baseline', 'repeat_rate: 0.22', 'repeat_rate: -0.01', 'contracts[0].gainshare.baseline.repeat_rate', 'between 0 and 1 (got -0.01)'],
    ['a pct above 100', 'commission_pct: 5', 'commission_pct: 100.5', 'contracts[0].upsell.commission_pct', 'between 0 and 100 (got 100.5)'],
    ['fractional cents', 'PHONE: 420', 'PHONE: 4.5', 'contracts[0].transactional.per_contact_cents.PHONE', 'non-negative integer number of cents (got 4.5)'],
    ['negative cents', 'monthly_fee_cents: 120', 'monthly_fee_cents: -120', 'contracts[0].per_customer.monthly_fee_cents', 'non-negative integer'],
    ['a quoted number', 'provider_share: 0.40', 'provider_share: "0.40"', 'contracts[0].gainshare.provider_share', 'must be between 0 and 1 (got "0.40")'],
    ['a non-decimal number', 'provider_share: 0.40', 'provider_share: .nan', 'contracts[0].gainshare.provider_share', 'plain decimal number (got .nan)'],
    ['an unknown channel', 'PHONE: 420', 'FAX: 420', 'contracts[0].transactional.per_contact_cents.FAX', 'unknown key (allowed here: PHONE, CHAT, EMAIL, MESSAGING)'],
    ['an impossible date', 'valid_from: 2026-01-01', 'valid_from: 2026-02-30', 'contracts[0].valid_from', 'date YYYY-MM-DD (got "2026-02-30")'],
    ['a date in another format', 'valid_from: 2026-01-01', 'valid_from: 01.01.2026', 'contracts[0].valid_from', 'date YYYY-MM-DD'],
    ['valid_to before valid_from', 'valid_to: 2026-12-31', 'valid_to: 2025-12-31', 'contracts[0].valid_to', 'must not be before valid_from 2026-01-01'],
    ['a bad timezone', 'provider_id: prov-a', 'provider_id: prov-a\n    timezone: Europe/Berlyn', 'contracts[0].timezone', 'IANA time zone'],
    ['a bad currency', 'provider_id: prov-a', 'provider_id: prov-a\n    currency: eur', 'contracts[0].currency', '3-letter'],
    ['an unknown KPI', 'kpi: csat_top2', 'kpi: csat_top3', 'contracts[0].gainshare.quality_gate[0].kpi', 'unknown KPI "csat_top3"'],
    ['a web KPI in a gate', 'kpi: csat_top2', 'kpi: web_to_phone_rate', 'contracts[0].gainshare.quality_gate[0].kpi', 'is a web KPI'],
    ['a gate with min and max', 'min: 0.75}', 'min: 0.75, max: 0.9}', 'contracts[0].gainshare.quality_gate[0]', 'exactly one of min or max'],
    ['a gate with no bound', '{kpi: csat_top2, min: 0.75}', '{kpi: csat_top2}', 'contracts[0].gainshare.quality_gate[0]', 'exactly one of min or max'],
    ['a rate bound above 1', 'min: 0.75}', 'min: 75}', 'contracts[0].gainshare.quality_gate[0].min', 'between 0 and 1 for csat_top2 (got 75)'],
    ['a threshold window', 'window: 24h', 'window: 2h', 'contracts[0].kpi_thresholds[0].window', 'one of 1h, 24h, 7d (got "2h")'],
    ['threshold min_samples 0', 'window: 24h}', 'window: 24h, min_samples: 0}', 'contracts[0].kpi_thresholds[0].min_samples', 'integer >= 1 (got 0)'],
    ['a negative clear_margin', 'window: 24h}', 'window: 24h, clear_margin: -0.1}', 'contracts[0].kpi_thresholds[0].clear_margin', '>= 0 (got -0.1)'],
    ['a threshold with both bounds', 'max: 0.25,', 'max: 0.25, min: 0.1,', 'contracts[0].kpi_thresholds[0]', 'exactly one of min or max'],
    ['a malformed family', '[billing, tariff]', '[billing, Tariff.x]', 'contracts[0].scope.intent_families[1]', 'intent family'],
    ['a repeated family', '[billing, tariff]', '[billing, billing]', 'contracts[0].scope.intent_families[1]', 'duplicate entry "billing"'],
    ['an empty scope', '[billing, tariff]', '[]', 'contracts[0].scope.intent_families', 'must not be empty'],
    ['a floor without a fee', '      monthly_fee_cents: 120\n', '', 'contracts[0].per_customer.min_active_customers', 'needs per_customer.monthly_fee_cents'],
    ['a missing required field', '    provider_id: prov-a\n', '', 'contracts[0].provider_id', 'is required'],
    ['the reserved provider id all', 'provider_id: prov-a', 'provider_id: all', 'contracts[0].provider_id', 'must not be "all": it is reserved for the aggregate rows'],
    ['a bad contract id', 'id: c-prov-a-2026', 'id: "c:a"', 'contracts[0].id', 'letters, digits'],
    ['a boolean as text', 'provider_share: 0.40', 'provider_share: 0.40\n      painshare: yes', 'contracts[0].gainshare.painshare', 'true or false (got "yes")'],
    ['an empty block', 'upsell: {commission_pct: 5}', 'upsell:', 'contracts[0].upsell', 'must be a mapping (got an empty value)'],
    ['a misspelt key', 'provider_share: 0.40', 'provider_shar: 0.40', 'contracts[0].gainshare.provider_shar', 'unknown key (allowed here: cost_per_contact_cents'],
  ])('%s', (_what, from, to, path, message) => {
    const err = errorOf(broken(from, to));
    const issue = issueAt(err, path);
    expect(issue.message).toContain(message);
    expect(issue.line).toBeGreaterThan(0);
    expect(err.message).toContain(`${FILE}: ${path}: `);
  });

  it.each([
    ['repeat_window: 7x', 'detection.repeat_window', 'duration like 7d'],
    ['repeat_window: 0s', 'detection.repeat_window', 'longer than 0'],
    ['allowed_lateness: 120000', 'detection.allowed_lateness', 'duration like 7d'],
    ['switch_outcomes: [ABANDONED, LOST]', 'detection.switch_outcomes[1]', 'one of COMPLETED, ABANDONED, FAILED (got "LOST")'],
    ['switch_to_channels: [PHONE, FAX]', 'detection.switch_to_channels[1]', 'one of PHONE, CHAT, EMAIL, MESSAGING'],
    ['switch_to_channels: []', 'detection.switch_to_channels', 'must not be empty'],
    ['match_intent_family: 1', 'detection.match_intent_family', 'true or false'],
    ['alowed_lateness: 2m', 'detection.alowed_lateness', 'unknown key'],
  ])('detection %s', (line, path, message) => {
    const err = errorOf(doc(CONTRACT, `detection:\n  ${line}\n`));
    expect(issueAt(err, path).message).toContain(message);
    expect(err.message).toContain(`${FILE}: ${path}: `);
  });

  it.each([
    ['timezone: Mars/Olympus', 'timezone', 'IANA time zone'],
    ['service_level_seconds: -5', 'service_level_seconds', 'integer >= 0'],
    ['contract: []', 'contract', 'unknown key'],
  ])('top level %s', (line, path, message) => {
    const err = errorOf(doc(CONTRACT, `${line}\n`));
    expect(issueAt(err, path).message).toContain(message);
  });

  it('requires the top-level timezone, naming the file and the field; a contract zone does not stand in', () => {
    const missing = errorOf(`contracts:${CONTRACT}\n`);
    expect(missing.issues).toHaveLength(1);
    expect(missing.message).toBe(
      `${FILE}: timezone: is required (the IANA time zone of the accrual days, such as Europe/Berlin; there is no default) (line 1, col 1)`,
    );
    const withContractZone = errorOf(`service_level_seconds: 20\ncontracts:${CONTRACT.replace('provider_id: prov-a', 'provider_id: prov-a\n    timezone: UTC')}\n`);
    expect(withContractZone.issues.map((i) => [i.path, i.message.split(' (')[0]])).toEqual([['timezone', 'is required']]);
    expect(issueAt(errorOf(doc(CONTRACT, 'timezone:\n')), 'timezone').message).toBe('must be an IANA time zone such as Europe/Berlin (got an empty value)');
    expect(issueAt(errorOf(doc(CONTRACT, 'timezone: 1\n')), 'timezone').message).toBe('must be an IANA time zone such as Europe/Berlin (got 1)');
    // Present: taken as written, and inherited by a contract without its own zone.
    const cfg = parseContractsConfig(doc(CONTRACT, 'timezone: America/New_York\n'), FILE);
    expect([cfg.timezone, cfg.contracts[0]?.timezone]).toEqual(['America/New_York', 'America/New_York']);
  });

  it('reserves exactly the provider id all (case-sensitive, like every id)', () => {
    const err = errorOf(doc(CONTRACT.replace('provider_id: prov-a', 'provider_id: all')));
    expect(err.issues).toHaveLength(1);
    expect(err.message).toBe(`${FILE}: contracts[0].provider_id: must not be "all": it is reserved for the aggregate rows of all providers (line 4, col 18)`);
    expect(issueAt(errorOf(doc(CONTRACT.replace('provider_id: prov-a', 'provider_id: "all"'))), 'contracts[0].provider_id').message).toContain('reserved');
    for (const ok of ['All', 'alls', 'ALL', 'all-in']) {
      expect(parseContractsConfig(doc(CONTRACT.replace('provider_id: prov-a', `provider_id: ${ok}`)), FILE).contracts[0]?.provider_id).toBe(ok);
    }
  });

  it('rejects a file without contracts, a non-mapping file and YAML syntax errors, with positions', () => {
    expect(issueAt(errorOf('timezone: UTC\n'), 'contracts').message).toBe('is required');
    expect(issueAt(errorOf('- 1\n'), '(root)').message).toContain('mapping');
    const syntax = errorOf('contracts: [\n');
    expect(syntax.issues[0]?.path).toBe('(yaml)');
    expect(syntax.issues[0]?.line).toBeGreaterThan(0);
    expect(syntax.message).toMatch(/^config\/contracts\.yaml: \(yaml\): /);
    const dupKey = errorOf('contracts: []\ncontracts: []\n');
    expect(dupKey.issues[0]?.message).toMatch(/unique/);
  });

  it('collects every issue, not just the first', () => {
    const err = errorOf(
      doc(
        CONTRACT.replace('provider_share: 0.40', 'provider_share: 2').replace('commission_pct: 5', 'commission_pct: -1').replace('window: 24h', 'window: 1d') +
          '\n  - {id: k2, provider_id: p2, valid_from: 2026-01-01, valid_to: 2026-01-31, upsel: {}}',
        'timezone: Nowhere\n',
      ),
    );
    expect(err.issues.map((i) => i.path)).toEqual([
      'timezone',
      'contracts[0].gainshare.provider_share',
      'contracts[0].upsell.commission_pct',
      'contracts[0].kpi_thresholds[0].window',
      'contracts[1].upsel',
    ]);
    expect(err.message.split('\n')).toHaveLength(5);
  });
});

describe('parseContractsConfig: rules across contracts', () => {
  const k = (id: string, provider: string, from: string, to: string, families?: string): string =>
    `\n  - {id: ${id}, provider_id: ${provider}, valid_from: ${from}, valid_to: ${to}${families ? `, scope: {intent_families: [${families}]}` : ''}}`;

  it('rejects duplicate contract ids', () => {
    const err = errorOf(doc(k('x', 'p1', '2026-01-01', '2026-01-31') + k('x', 'p2', '2026-01-01', '2026-01-31')));
    expect(issueAt(err, 'contracts[1].id').message).toBe('duplicate contract id "x" (also contracts[0] (x))');
  });

  it('rejects overlapping validity of one provider, even by a single day', () => {
    const err = errorOf(doc(k('x', 'p1', '2026-01-01', '2026-06-30') + k('y', 'p1', '2026-06-30', '2026-12-31')));
    expect(issueAt(err, 'contracts[1].valid_from').message).toContain('overlaps contracts[0] (x) of the same provider p1 on 2026-06-30..2026-06-30');
  });

  it('compares validity on the dates as written, whatever the zones', () => {
    const z = (id: string, from: string, to: string, zone: string): string =>
      `\n  - {id: ${id}, provider_id: p1, valid_from: ${from}, valid_to: ${to}, timezone: ${zone}, scope: {intent_families: [billing]}}`;
    // Consecutive dates: accepted, although x's last day in Pago Pago (UTC-11) and y's first day in
    // Kiritimati (UTC+14) overlap by 23 hours in time.
    const consecutive = doc(z('x', '2026-01-01', '2026-06-30', 'Pacific/Pago_Pago') + z('y', '2026-07-01', '2026-12-31', 'Pacific/Kiritimati'));
    expect(parseContractsConfig(consecutive, FILE).contracts).toHaveLength(2);
    // One common date: an overlap (and a shared family), although the two local days do not overlap in
    // time (Kiritimati's 2026-06-30 ends an hour before Pago Pago's begins).
    const err = errorOf(doc(z('x', '2026-01-01', '2026-06-30', 'Pacific/Kiritimati') + z('y', '2026-06-30', '2026-12-31', 'Pacific/Pago_Pago')));
    expect(issueAt(err, 'contracts[1].valid_from').message).toContain('overlaps contracts[0] (x) of the same provider p1 on 2026-06-30..2026-06-30');
    expect(issueAt(err, 'contracts[1].scope.intent_families').message).toContain('both valid on 2026-06-30..2026-06-30');
  });

  it('accepts consecutive contracts of one provider', () => {
    const cfg = parseContractsConfig(doc(k('x', 'p1', '2026-01-01', '2026-06-30', 'billing') + k('y', 'p1', '2026-07-01', '2026-12-31', 'billing')), FILE);
    expect(cfg.contracts).toHaveLength(2);
  });

  it('rejects scopes sharing a family on a common day, across providers too', () => {
    const err = errorOf(doc(k('x', 'p1', '2026-01-01', '2026-12-31', 'billing, tech') + k('y', 'p2', '2026-11-10', '2027-06-30', 'tech, account, billing')));
    expect(issueAt(err, 'contracts[1].scope.intent_families').message).toBe(
      'intent families "tech", "billing" also in the scope of contracts[0] (x), both valid on 2026-11-10..2026-12-31',
    );
  });

  it('accepts shared families on disjoint validity and disjoint families on common days', () => {
    const cfg = parseContractsConfig(
      doc(
        k('x', 'p1', '2026-01-01', '2026-06-30', 'billing') +
          k('y', 'p2', '2026-07-01', '2026-12-31', 'billing') +
          k('z', 'p3', '2026-01-01', '2026-12-31', 'tech') +
          k('w', 'p4', '2026-01-01', '2026-12-31'),
      ),
      FILE,
    );
    expect(cfg.contracts.map((c) => c.id)).toEqual(['x', 'y', 'z', 'w']);
  });

  it('still checks overlaps when another field of the contract is invalid', () => {
    const err = errorOf(
      doc(k('x', 'p1', '2026-01-01', '2026-12-31', 'billing') + `\n  - {id: y, provider_id: p1, valid_from: 2026-03-01, valid_to: 2026-03-31, upsell: {commission_pct: 500}}`),
    );
    expect(err.issues.map((i) => i.path)).toEqual(['contracts[1].valid_from', 'contracts[1].upsell.commission_pct']);
  });
});
