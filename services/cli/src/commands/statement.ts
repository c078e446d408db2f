import { Option, type Command } from 'commander';
import { buildStatement, monthRange, readLines, rows, statementCsv, statementJsonText, statementText } from '@cxg/ledger';
import { CliError } from '../errors.ts';
import { CLICKHOUSE_HELP, defaultClickHouse, monthArg, withLedger } from '../replay/ledger-cli.ts';

interface StatementOptions {
  contract: string;
  month: string;
  format: 'table' | 'csv' | 'json';
  allLines?: boolean;
  clickhouse: string;
}

export function register(program: Command): void {
  program
    .command('statement')
    .description("a contract's monthly accrual statement from the ledger: lines per day and type, totals, provisional or final")
    .requiredOption('--contract <id>', 'contract id, e.g. c-prov-a-2026')
    .requiredOption('--month <YYYY-MM>', 'calendar month of the contract-local dates', monthArg)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .option('--all-lines', 'include lines whose quantity and amount are both 0 (left out by default)')
    .option('--clickhouse <url>', CLICKHOUSE_HELP, defaultClickHouse())
    .addHelpText(
      'after',
      `
Amounts are integer cents in csv and json, currency units with 2 decimals in the table; every
line is rounded once, half away from zero, so the total is the exact sum of the lines. Quantities
and amounts keep every digit at any size (json prints them as number literals in full).
A line is provisional until the watermark passes the end of its day plus the allowed lateness,
then final; the month is closed (its cap, quality-gate and malus lines exist) once the watermark
passes the end of its last day inside validity plus the lateness.
csv: one row per line, no total rows. json: {contract_id, provider_id, currency, month, final,
closed, total_cents, provisional_cents, totals[], lines[]}.
An embedded ClickHouse directory can be open in one process only: with a running accruals
worker on the default directory, use a ClickHouse server, or stop the worker first.

Examples:
  cxg statement --contract c-prov-a-2026 --month 2026-10
  cxg statement --contract c-prov-a-2026 --month 2026-10 --format csv > 2026-10.csv
  cxg statement --clickhouse chdb://.cxg/replay/clickhouse --contract c-prov-c-2026-11 --month 2026-11

Exit codes: 0 printed; 1 invalid arguments, or no ledger lines for that contract and month; 2 ledger unavailable.`,
    )
    .action(async (opts: StatementOptions) => {
      await withLedger(opts.clickhouse, async (client) => {
        const { from, to } = monthRange(opts.month);
        const lines = await readLines(client, { contractIds: [opts.contract], from, to });
        if (lines.length === 0) {
          const known = await rows<{ c: string }>(client, 'SELECT DISTINCT contract_id AS c FROM accrual_lines ORDER BY c');
          throw new CliError(`no ledger lines for ${opts.contract} in ${opts.month} in ${opts.clickhouse} (contracts with lines: ${known.map((k) => k.c).join(', ') || 'none'})`, 1);
        }
        const s = buildStatement(opts.contract, opts.month, lines, { includeZeroLines: opts.allLines ?? false });
        if (opts.format === 'json') process.stdout.write(statementJsonText(s) + '\n');
        else if (opts.format === 'csv') process.stdout.write(statementCsv(s));
        else process.stdout.write(statementText(s));
      });
    });
}
