import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { localDateOf } from '@cxg/engine';
import { ledgerLocation, readWatermark, whatIf, whatIfCsv, whatIfJsonText, whatIfText } from '@cxg/ledger';
import { CliError } from '../errors.ts';
import { CLICKHOUSE_HELP, dateArg, defaultClickHouse, loadConfig, withLedger } from '../replay/ledger-cli.ts';
import { stepProgress } from '../replay/progress.ts';

interface WhatIfOptions {
  config: string;
  from?: string;
  to?: string;
  format: 'table' | 'csv' | 'json';
  json?: boolean;
  clickhouse: string;
}

export function register(program: Command): void {
  program
    .command('whatif')
    .description('rate the stored facts under a proposed contracts file and compare with the ledger, per contract, month and line type; writes nothing')
    .requiredOption('--config <file>', 'the proposed contracts YAML')
    .option('--from <YYYY-MM-DD>', 'first day (widened to the start of its month; default: the first contract validity day)', dateArg)
    .option('--to <YYYY-MM-DD>', "last day (widened to the end of its month; default: the watermark's day)", dateArg)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .addOption(new Option('--json', 'the same as --format json').conflicts('format'))
    .option('--clickhouse <url>', CLICKHOUSE_HELP, defaultClickHouse())
    .addHelpText(
      'after',
      `
A business case over history: every day of the months in range is rated from the facts in
ClickHouse under the proposal with the worker's own rating code, at the ledger's watermark (so a
month closed in the ledger is closed under the proposal too), and compared with the lines the
ledger holds for the same months. Contracts are matched by id; a contract on one side only shows
0 on the other. The ledger is only read. Ranges are whole months, because a closed month's cap,
gate and malus lines depend on all its days.

table: per contract and month one row per line type (channels summed), actual, proposed and
difference in currency units, a month total, a grand total; then the KPI gates of each closed
month (gainshare_quality_gate, customer_fee_malus): passed or failed, actual and proposed.
csv: contract_id,month,line_type,actual_cents,proposed_cents,difference_cents (no total rows).
json: {proposal:{file,sha256}, watermark, from, to, rows[], months[], gates[], actual_cents,
proposed_cents, difference_cents}, amounts in integer cents. A progress bar (one step per
contract month) is drawn on stderr when it is a terminal.

Examples:
  cxg whatif --config proposal.yaml
  cxg whatif --config proposal.yaml --from 2026-10-01 --to 2026-11-30 --format csv > case.csv
  cxg whatif --clickhouse chdb://.cxg/replay/clickhouse --config proposal.yaml --json

Exit codes: 0 printed; 1 invalid arguments, or the ledger has no facts yet; 2 invalid proposal
(the message names file and field), --from after --to, or ledger unavailable.`,
    )
    .action(async (opts: WhatIfOptions) => {
      const proposal = loadConfig(opts.config);
      const sha256 = createHash('sha256').update(readFileSync(opts.config)).digest('hex');
      const format = opts.json ? 'json' : opts.format;
      await withLedger(opts.clickhouse, async (client) => {
        const watermark = await readWatermark(client);
        if (watermark === null) throw new CliError(`${opts.clickhouse} holds no accepted facts yet (no watermark): nothing to compare`, 1);
        const from = opts.from ?? proposal.contracts.reduce((m, c) => (c.valid_from < m ? c.valid_from : m), '9999-12-31');
        const to = opts.to ?? localDateOf(watermark, proposal.timezone);
        if (from > to) throw new CliError(`--from ${from} is after --to ${to}`, 2);
        const bar = stepProgress('whatif');
        let result;
        try {
          result = await whatIf(client, proposal, { from, to }, watermark, (done, total, label) => bar.update(done, total, label));
        } finally {
          bar.stop();
        }
        const watermarkIso = new Date(watermark).toISOString();
        if (format === 'json') process.stdout.write(whatIfJsonText(result, { proposal: { file: opts.config, sha256 }, watermark: watermarkIso }) + '\n');
        else if (format === 'csv') process.stdout.write(whatIfCsv(result));
        else {
          const title = `What if ${opts.config} (sha256 ${sha256.slice(0, 12)}) had rated ${ledgerLocation(opts.clickhouse)}, ${result.from}..${result.to}, at watermark ${watermarkIso}`;
          process.stdout.write(whatIfText(result, title));
        }
      });
    });
}
