import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, formatDuration, parseContractsConfig } from '@cxg/engine';
import type { ConfigIssue, Contract, ContractsConfig, Decimal } from '@cxg/engine';
import { configVersion, ledgerStartOf } from '@cxg/ledger';
import { CliError } from '../errors.ts';

interface CheckOptions {
  json?: boolean;
}

const pct = (share: Decimal): string => `${share.mul(100).toString()}%`;

/** One line per contract: what it pays for, so a reviewer sees a missing block at a glance. */
function contractSummary(c: Contract): string {
  const parts: string[] = [`${c.id}  ${c.provider_id}  ${c.valid_from}..${c.valid_to}  ${c.currency}  ${c.timezone}`];
  // Without records: a configured start is what ledgerStartOf gives, else the first record decides.
  const start = ledgerStartOf(c, new Map());
  parts.push(start === null ? 'ledger from the first record of its provider' : `ledger from ${start}`);
  parts.push(c.scope ? `scope ${c.scope.intent_families.join(',')}` : 'no scope');
  const t = c.transactional;
  if (t) {
    const list = (m: Record<string, number | undefined>): string =>
      Object.entries(m)
        .map(([ch, v]) => `${ch} ${v ?? 0}`)
        .join(' ');
    const fees = [Object.keys(t.per_contact_cents).length ? `per contact ${list(t.per_contact_cents)}` : '', Object.keys(t.per_minute_cents).length ? `per minute ${list(t.per_minute_cents)}` : ''];
    parts.push(fees.filter(Boolean).join(', ') || 'transactional: no rates');
  }
  const g = c.gainshare;
  if (g) {
    const base = [g.baseline.repeat_rate ? `repeat ${g.baseline.repeat_rate}` : '', g.baseline.switch_rate ? `switch ${g.baseline.switch_rate}${c.scope ? '' : ' (no scope: no switch line)'}` : '']
      .filter(Boolean)
      .join(', ');
    parts.push(
      `gainshare ${pct(g.provider_share)} of ${g.cost_per_contact_cents}c per avoided contact (${base || 'no baseline: no lines'})` +
        `${g.painshare ? ', painshare' : ''}${g.monthly_cap_cents === null ? ', no cap' : `, cap ${g.monthly_cap_cents}c`}, ${g.quality_gate.length} gate(s)`,
    );
  }
  const pc = c.per_customer;
  if (pc) {
    const bits = [
      pc.monthly_fee_cents !== null ? `${pc.monthly_fee_cents}c/customer/month` : '',
      pc.won_customer_bonus_cents !== null ? `won bonus ${pc.won_customer_bonus_cents}c` : '',
      pc.quality_malus ? `malus ${pc.quality_malus.pct}% on ${pc.quality_malus.gate.length} gate(s)` : '',
      pc.min_active_customers !== null ? `floor ${pc.min_active_customers}` : '',
    ];
    parts.push(`per customer: ${bits.filter(Boolean).join(', ')}`);
  }
  if (c.upsell) parts.push(`upsell ${c.upsell.commission_pct}%`);
  parts.push(`${c.kpi_thresholds.length} threshold(s)`);
  return parts.join(' | ');
}

function configSummary(cfg: ContractsConfig): string {
  const d = cfg.detection;
  return (
    `${cfg.contracts.length} contract(s), timezone ${cfg.timezone}; detection: repeat ${formatDuration(d.repeat_window_ms)}, ` +
    `switch ${formatDuration(d.switch_window_ms)} after ${d.switch_outcomes.join('/')} to ${d.switch_to_channels.join('/')}, ` +
    `${d.match_intent_family ? 'same intent family' : 'any intent'}, lateness ${formatDuration(d.allowed_lateness_ms)}; service level ${cfg.service_level_seconds} s`
  );
}

function check(file: string, opts: CheckOptions): void {
  let cfg: ContractsConfig;
  try {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ConfigError(file, [{ path: '(file)', message: `cannot read it (${why})`, line: null, col: null }]);
    }
    cfg = parseContractsConfig(text, file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ ok: false, file, errors: err.issues satisfies readonly ConfigIssue[] })}\n`);
    } else {
      process.stderr.write(`${err.message}\n${file}: INVALID, ${err.issues.length} error(s)\n`);
    }
    // the report above is the command's output: main.ts adds nothing, only the exit code
    throw new CliError(`${file}: INVALID, ${err.issues.length} error(s)`, 2, { cause: err, reported: true });
  }
  const summary = cfg.contracts.map(contractSummary);
  if (opts.json) {
    // Decimals serialise as exact text (Decimal.toJSON), durations as ms.
    const { text: _text, ...config } = cfg; // the file itself is what was read; its hash stands for it
    process.stdout.write(`${JSON.stringify({ ok: true, file, config_version: configVersion(cfg), summary, config })}\n`);
    return;
  }
  process.stdout.write(`OK ${file} (config version ${configVersion(cfg)}): ${configSummary(cfg)}\n${summary.map((s) => `  ${s}\n`).join('')}`);
}

export function register(program: Command): void {
  const config = program.command('config').description('work with the contracts YAML (see docs/contracts.md)');
  config
    .command('check')
    .description('validate a contracts YAML file exactly as the workers and replay do at start-up')
    .argument('<file>', 'the contracts YAML, e.g. config/contracts.yaml')
    .option('--json', 'print one JSON object: {ok: true, file, config_version, summary, config} or {ok: false, file, errors: [{path, message, line, col}]}')
    .addHelpText(
      'after',
      [
        '',
        'Prints OK with a one-line summary of the deployment and one line per contract, or every',
        'error found, each as `FILE: field.path: message (line L, col C)`. Unknown keys are errors.',
        '',
        'Exit codes: 0 valid; 2 invalid or unreadable.',
        '',
        'Examples:',
        '  cxg config check config/contracts.yaml',
        '  cxg config check "$CX_CONFIG" --json | jq .errors',
      ].join('\n'),
    )
    .action((file: string, opts: CheckOptions) => check(file, opts));
}
