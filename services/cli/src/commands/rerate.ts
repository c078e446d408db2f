import type { Command } from 'commander';
import { exactJson, lastDayOfMonth, monthOf, type ContractsConfig } from '@cxg/engine';
import { formatCents, rateRange, readLines, readWatermark, recordConfigVersion, type RateSummary, type StoredLine } from '@cxg/ledger';
import { CliError } from '../errors.ts';
import { CLICKHOUSE_HELP, dateArg, defaultClickHouse, findContract, loadConfig, withLedger } from '../replay/ledger-cli.ts';
import { stepProgress } from '../replay/progress.ts';

interface RerateOptions {
  contract: string;
  from: string;
  to: string;
  config?: string;
  clickhouse: string;
  json?: boolean;
}

interface Change {
  accrual_id: string;
  before_cents: bigint | null;
  after_cents: bigint;
  before_quantity: string | null;
  after_quantity: string;
  before_status: string | null;
  after_status: string;
}

/** Lines that are new or differ in amount, quantity, status or basis (the version always differs). */
function ledgerChanges(before: readonly StoredLine[], after: readonly StoredLine[]): Change[] {
  const old = new Map(before.map((l) => [l.accrual_id, l]));
  const out: Change[] = [];
  for (const l of after) {
    const b = old.get(l.accrual_id);
    if (b && b.amount_cents === l.amount_cents && b.quantity === l.quantity && b.status === l.status && b.basis === l.basis) continue;
    out.push({
      accrual_id: l.accrual_id,
      before_cents: b?.amount_cents ?? null,
      after_cents: l.amount_cents,
      before_quantity: b?.quantity ?? null,
      after_quantity: l.quantity,
      before_status: b?.status ?? null,
      after_status: l.status,
    });
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('rerate')
    .description("recompute a contract's accrual lines from the facts in ClickHouse (after a late correction or a fix), replacing them")
    .requiredOption('--contract <id>', 'contract id from the contracts YAML')
    .requiredOption('--from <YYYY-MM-DD>', 'first local date (contract time zone)', dateArg)
    .requiredOption('--to <YYYY-MM-DD>', 'last local date, inclusive', dateArg)
    .option('--config <file>', 'contracts YAML with the terms to rate by (default: CX_CONFIG or config/contracts.yaml)')
    .option('--clickhouse <url>', CLICKHOUSE_HELP, defaultClickHouse())
    .option('--json', 'print the summary as one JSON object')
    .addHelpText(
      'after',
      `
Each day is rated from all its facts with the worker's own code and written as a new version of
the same accrual ids, so re-rating replaces lines and never adds to them; rating twice from the
same facts gives the same ledger. Days outside the contract's validity or after the watermark's
day (the greatest event time the ledger has seen) are skipped. A month already closed is rated
whole and closed again, since its cap, gate and malus lines depend on all its days. Statuses
follow the stored watermark. The summary lists the lines whose amount, quantity, status or basis
changed. A progress bar (one step per contract month) is drawn on stderr when it is a terminal.
An embedded ClickHouse directory can be open in one process only: stop a worker that uses it
(rerate writes the ledger; only \`cxg statement\` reads through a running worker).

Example:
  cxg rerate --contract c-prov-a-2026 --from 2026-10-01 --to 2026-10-31

Exit codes: 0 done; 1 invalid arguments, or the ledger has no facts yet; 2 unknown contract, --from after --to,
invalid config, ledger unavailable, or a line that cannot be booked (its amount lies beyond the signed 64-bit
range of cents; the message names contract, day and line).`,
    )
    .action(async (opts: RerateOptions) => {
      const config: ContractsConfig = loadConfig(opts.config);
      const contract = findContract(config, opts.contract);
      if (opts.from > opts.to) throw new CliError(`--from ${opts.from} is after --to ${opts.to}`, 2);
      await withLedger(opts.clickhouse, async (client) => {
        const watermark = await readWatermark(client);
        if (watermark === null) throw new CliError(`${opts.clickhouse} holds no accepted facts yet (no watermark): nothing to rate`, 1);
        // Closed months are rated whole, so compare whole months.
        const window = { contractIds: [contract.id], from: `${monthOf(opts.from)}-01`, to: lastDayOfMonth(monthOf(opts.to)) };
        const before = await readLines(client, window);
        await recordConfigVersion(client, config);
        const bar = stepProgress('rerate');
        const started = performance.now();
        let summary: RateSummary;
        try {
          summary = await rateRange(client, config, [contract], opts.from, opts.to, watermark, {
            onProgress: (done, total, chunk) => bar.update(done, total, chunk.month),
          });
        } finally {
          bar.stop();
        }
        const seconds = (performance.now() - started) / 1000;
        const changes = ledgerChanges(before, await readLines(client, window));
        const delta = changes.reduce((s, c) => s + c.after_cents - (c.before_cents ?? 0n), 0n);
        const doc = {
          contract_id: contract.id,
          from: opts.from,
          to: opts.to,
          watermark: new Date(watermark).toISOString(),
          days: summary.days,
          lines: summary.lines,
          closed_months: summary.closedMonths.map((m) => m.split(':').at(-1)),
          changed_lines: changes.length,
          delta_cents: delta,
          seconds: Number(seconds.toFixed(3)),
          changes,
        };
        if (opts.json) {
          process.stdout.write(exactJson(doc) + '\n');
        } else {
          console.log(
            `${contract.id}: rated ${summary.days} days (${summary.lines} lines) in ${doc.seconds} s at watermark ${doc.watermark}` +
              `${doc.closed_months.length > 0 ? `; closed ${doc.closed_months.join(', ')}` : ''}`,
          );
          console.log(`${changes.length} lines changed, net ${formatCents(delta)} ${contract.currency}`);
          for (const c of changes.slice(0, 20)) {
            console.log(`  ${c.accrual_id}: ${c.before_cents === null ? 'new' : `${formatCents(c.before_cents)} ${c.before_status}`} -> ${formatCents(c.after_cents)} ${c.after_status}`);
          }
          if (changes.length > 20) console.log(`  ... ${changes.length - 20} more (--json lists all)`);
        }
      });
    });
}
