import type { Command } from 'commander';
import { exactJson, lastDayOfMonth, monthOf, type ContractsConfig } from '@cxg/engine';
import {
  formatCents,
  rateRange,
  readAdjustments,
  readLines,
  readWatermark,
  recordConfigVersion,
  type Adjustment,
  type RateSummary,
  type StoredLine,
} from '@cxg/ledger';
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
  dryRun?: boolean;
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

/** The stored lines with `rated` put in their place (same accrual_id), as the ledger would read after a rating. */
function afterRating(before: readonly StoredLine[], rated: readonly StoredLine[]): StoredLine[] {
  const byId = new Map(before.map((l) => [l.accrual_id, l]));
  for (const l of rated) byId.set(l.accrual_id, l);
  return [...byId.values()];
}

export function register(program: Command): void {
  program
    .command('rerate')
    .description("recompute a contract's accrual lines from the facts in ClickHouse (after a late correction or a fix): provisional lines are replaced, changes to final ones are posted as adjustments")
    .requiredOption('--contract <id>', 'contract id from the contracts YAML')
    .requiredOption('--from <YYYY-MM-DD>', 'first local date (contract time zone)', dateArg)
    .requiredOption('--to <YYYY-MM-DD>', 'last local date, inclusive', dateArg)
    .option('--config <file>', 'contracts YAML with the terms to rate by (default: CX_CONFIG or config/contracts.yaml)')
    .option('--clickhouse <url>', CLICKHOUSE_HELP, defaultClickHouse())
    .option('--json', 'print the summary as one JSON object')
    .option('--dry-run', 'compute and print the changes without writing anything (no lines, no config version)')
    .addHelpText(
      'after',
      `
Each day is rated from all its facts with the worker's own code. A provisional line is written as a
new version of the same accrual id; a final line is never rewritten: where it now differs from what
the ledger holds for it (line plus adjustments), an adjustment is posted, booked on the watermark's
day, with cause rerate (same contracts file) or config_change (the line was rated under another
config version; a line type the new file no longer rates is reversed to 0). Rating twice from the
same facts gives the same ledger. Days outside the contract's validity or after the watermark's
day (the greatest event time the ledger has seen) are skipped. A month already closed is rated
whole and closed again, since its cap, gate and malus lines depend on all its days. Statuses
follow the stored watermark. The summary lists the lines whose amount, quantity, status or basis
changed, those whose amount or quantity moved first (every line's basis names the config version
it was rated under, so rating with another contracts file changes the basis of every line).
--dry-run computes the same lines and adjustments with the same code and prints the same summary
without writing anything (json: "dry_run": true). A progress bar (one step per contract month) is drawn on stderr when it is a terminal.
An embedded ClickHouse directory can be open in one process only: stop a worker that uses it
(rerate writes the ledger; only \`cxg statement\` reads through a running worker).

Examples:
  cxg rerate --contract c-prov-a-2026 --from 2026-10-01 --to 2026-10-31 --dry-run
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
        const heldAdjustments = new Map(
          (await readAdjustments(client, { contractIds: [contract.id], serviceFrom: window.from, serviceTo: window.to, includeZero: true })).map((a) => [a.adjustment_id, a]),
        );
        const bar = stepProgress('rerate');
        const started = performance.now();
        let summary: RateSummary;
        let changes: Change[];
        const rated: StoredLine[] = [];
        const posted: Adjustment[] = [];
        try {
          if (!opts.dryRun) await recordConfigVersion(client, config);
          // The ledger's own watermark is also the previous one: what is final stays, changes to it are booked as adjustments.
          summary = await rateRange(client, config, [contract], opts.from, opts.to, watermark, {
            previousWatermarkMs: watermark,
            reconcile: true,
            dryRun: opts.dryRun === true,
            onProgress: (done, total, chunk) => bar.update(done, total, chunk.month),
            onSettled: (_chunk, settled) => {
              for (const l of settled.lines) rated.push({ ...l, basis: JSON.stringify(l.basis), version: '' });
              posted.push(...settled.adjustments);
            },
          });
          changes = ledgerChanges(before, opts.dryRun ? afterRating(before, rated) : await readLines(client, window));
        } finally {
          bar.stop();
        }
        const seconds = (performance.now() - started) / 1000;
        const adjustments = posted.map((a) => ({
          adjustment_id: a.adjustment_id,
          refers_to: a.accrual_id,
          booked_on: a.booked_on,
          cause: a.cause,
          quantity_delta: a.quantity_delta,
          amount_delta_cents: a.amount_delta_cents,
          // an open row posted again replaces its earlier amount
          net_cents: a.amount_delta_cents - (heldAdjustments.get(a.adjustment_id)?.amount_delta_cents ?? 0n),
        }));
        const delta = changes.reduce((s, c) => s + c.after_cents - (c.before_cents ?? 0n), 0n) + adjustments.reduce((s, a) => s + a.net_cents, 0n);
        const doc = {
          dry_run: opts.dryRun === true,
          contract_id: contract.id,
          from: opts.from,
          to: opts.to,
          watermark: new Date(watermark).toISOString(),
          days: summary.days,
          lines: summary.lines,
          closed_months: summary.closedMonths.map((m) => m.split(':').at(-1)),
          changed_lines: changes.length,
          adjustments_posted: adjustments.length,
          delta_cents: delta,
          seconds: Number(seconds.toFixed(3)),
          changes,
          adjustments,
        };
        if (opts.json) {
          process.stdout.write(exactJson(doc) + '\n');
        } else {
          console.log(
            `${contract.id}: ${opts.dryRun ? 'dry run, nothing written: would rate' : 'rated'} ${summary.days} days (${summary.lines} lines ${opts.dryRun ? 'to write' : 'written'}) in ${doc.seconds} s at watermark ${doc.watermark}` +
              `${doc.closed_months.length > 0 ? `; closed ${doc.closed_months.join(', ')}` : ''}`,
          );
          // A new config version changes every line's basis: the lines whose money moved come first.
          const moved = (c: Change) => c.before_cents !== c.after_cents || c.before_quantity !== c.after_quantity;
          const shown = [...changes.filter(moved), ...changes.filter((c) => !moved(c))];
          const inMoney = changes.filter(moved).length;
          console.log(
            `${changes.length} lines ${opts.dryRun ? 'would change' : 'changed'} (${inMoney} in amount or quantity, ${changes.length - inMoney} in basis or status only), ` +
              `${adjustments.length} adjustment${adjustments.length === 1 ? '' : 's'} ${opts.dryRun ? 'would be posted' : 'posted'}, net ${formatCents(delta)} ${contract.currency}`,
          );
          for (const c of shown.slice(0, 20)) {
            console.log(`  ${c.accrual_id}: ${c.before_cents === null ? 'new' : `${formatCents(c.before_cents)} ${c.before_status}`} -> ${formatCents(c.after_cents)} ${c.after_status}`);
          }
          if (changes.length > 20) console.log(`  ... ${changes.length - 20} more (--json lists all)`);
          for (const a of adjustments.slice(0, 20)) {
            console.log(`  adjustment ${a.refers_to} booked ${a.booked_on} (${a.cause}): ${a.amount_delta_cents >= 0n ? '+' : ''}${formatCents(a.amount_delta_cents)}`);
          }
          if (adjustments.length > 20) console.log(`  ... ${adjustments.length - 20} more adjustments (--json lists all)`);
        }
      });
    });
}
