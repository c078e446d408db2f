import { Option, type Command } from 'commander';
import { DatabaseInUseError, noLinesMessage, readStatement, statementCsv, statementJsonText, statementText, type Statement } from '@cxg/ledger';
import { writeFile } from 'node:fs/promises';
import { CliError } from '../errors.ts';
import { CLICKHOUSE_HELP, defaultClickHouse, monthArg, withLedger } from '../replay/ledger-cli.ts';
import { defaultWorkerUrl, statementFromWorker, workerArg } from '../replay/worker-statement.ts';
import { statementHtml } from '../statement/html.ts';
import { statementXlsx } from '../statement/xlsx.ts';

const FORMATS = ['table', 'csv', 'json', 'xlsx', 'html'] as const;
type Format = (typeof FORMATS)[number];

interface StatementOptions {
  contract: string;
  month: string;
  format: Format;
  json?: boolean;
  out?: string;
  allLines?: boolean;
  clickhouse: string;
  worker?: string;
}

/**
 * The statement from the ledger; when the embedded directory is in use (chdb lets one process
 * open it, and a running accruals worker holds it), from that worker's GET /statement.
 */
async function fetchStatement(opts: StatementOptions): Promise<Statement> {
  const req = { contract: opts.contract, month: opts.month, allLines: opts.allLines ?? false };
  if (opts.worker !== undefined) return statementFromWorker(workerArg(opts.worker), req);
  try {
    return await withLedger(opts.clickhouse, async (client) => {
      const read = await readStatement(client, opts.contract, opts.month, { includeZeroLines: req.allLines });
      if (read.statement === null) throw new CliError(noLinesMessage(opts.contract, opts.month, opts.clickhouse, read.contractsWithLines), 1);
      return read.statement;
    });
  } catch (err) {
    if (!(err instanceof DatabaseInUseError)) throw err;
    return statementFromWorker(defaultWorkerUrl(), { ...req, fallbackFrom: { clickhouse: opts.clickhouse, pid: err.pid } });
  }
}

export function register(program: Command): void {
  program
    .command('statement')
    .description("a contract's monthly accrual statement from the ledger: lines per day and type, adjustments, totals, provisional or final")
    .requiredOption('--contract <id>', 'contract id, e.g. c-prov-a-2026')
    .requiredOption('--month <YYYY-MM>', 'calendar month of the contract-local dates', monthArg)
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('table'))
    .addOption(new Option('--json', 'the same as --format json').conflicts('format'))
    .option('--out <file>', 'write the output to FILE instead of stdout (needed for xlsx when stdout is a terminal)')
    .option('--all-lines', 'include lines whose quantity and amount are both 0 (left out by default)')
    .option('--clickhouse <url>', CLICKHOUSE_HELP, defaultClickHouse())
    .option('--worker <url>', 'read through the accruals worker at http://host:port (its METRICS_PORT) instead of ClickHouse')
    .addHelpText(
      'after',
      `
Amounts are integer cents in csv and json, currency units with 2 decimals in the table; every
line is rounded once, half away from zero, so the total is the exact sum of the lines. Quantities
and amounts keep every digit at any size (json prints them as number literals in full).
A line is provisional until the watermark passes the end of its day plus the allowed lateness,
then final; the month is closed (its cap, quality-gate and malus lines exist) once the watermark
passes the end of its last day inside validity plus the lateness. A final line never changes: a
later change to it (a late record, a rerate, a new contracts file) is an adjustment booked on the
day it was booked. The statement lists the month's lines, the adjustments booked in the month
(to it or earlier months), the adjustments to it booked later, and totals both ways: as service
month (its lines and every adjustment to them) and as booking month (its lines and the
adjustments booked in it).
csv: one row per line (kind line), then per adjustment (kind adjustment or later_adjustment; date
= the service date, quantity and amount = the delta, with booked_on, cause and refers_to = the
accrual_id), no total rows. json: {contract_id, provider_id, currency, month, final, closed,
total_cents, provisional_cents, service_month_cents, booking_month_cents, totals[], lines[],
adjustments[], later_adjustments[]}.
xlsx: a workbook; sheets Lines (date as an Excel date, line type, channel, quantity, amount in
currency units as a number with 2 decimals, status), Adjustments (kind, booked on, service date,
line, deltas, cause, status, refers_to, evidence) and Totals (per line type and channel, a total
row, both ways when there are adjustments, and the quality gate of a closed month), each under a header block (contract, provider, month, currency, final, closed). An amount
of 10^15 cents or more (over 15 digits) is a text cell with its exact decimal, never a rounded
number. Binary: needs --out FILE when stdout is a terminal.
html: one self-contained printable page (no scripts, no external files): header, a chart of the
amounts per day (inline SVG), the lines and the totals; print it or save it as PDF from a browser.

A running pipeline on an embedded ClickHouse: a chdb directory can be open in one process only,
and a running accruals worker holds it. When the directory is in use, the statement comes from
that worker instead (GET /statement on its METRICS_PORT, default 9403, at 127.0.0.1), after
checking that the worker writes this very directory; the output is the same. --worker asks the
worker at that address directly, whatever --clickhouse says (e.g. another machine's worker).
When neither works, one line says why, exit 2.

Examples:
  cxg statement --contract c-prov-a-2026 --month 2026-10
  cxg statement --contract c-prov-a-2026 --month 2026-10 --format csv > 2026-10.csv
  cxg statement --contract c-prov-a-2026 --month 2026-10 --format xlsx --out 2026-10.xlsx
  cxg statement --contract c-prov-a-2026 --month 2026-10 --format html --out 2026-10.html
  cxg statement --clickhouse chdb://.cxg/replay/clickhouse --contract c-prov-c-2026-11 --month 2026-11
  cxg statement --worker http://127.0.0.1:9403 --contract c-prov-a-2026 --month 2026-10 --json

Exit codes: 0 printed (or written to --out); 1 invalid arguments (also xlsx to a terminal without
--out), or no ledger lines for that contract and month; 2 ledger unavailable (in use and no
accruals worker of it answers, or the worker fails).`,
    )
    .action(async (opts: StatementOptions) => {
      const format: Format = opts.json ? 'json' : opts.format;
      // Checked before reading the ledger: no point reading a month we cannot print.
      if (format === 'xlsx' && opts.out === undefined && process.stdout.isTTY) {
        throw new CliError('--format xlsx writes a binary workbook: pass --out FILE (or redirect stdout to a file)', 1);
      }
      const s = await fetchStatement(opts);
      const body: string | Buffer =
        format === 'json'
          ? statementJsonText(s) + '\n'
          : format === 'csv'
            ? statementCsv(s)
            : format === 'xlsx'
              ? await statementXlsx(s)
              : format === 'html'
                ? statementHtml(s)
                : statementText(s);
      if (opts.out !== undefined) await writeFile(opts.out, body);
      else process.stdout.write(body);
    });
}
