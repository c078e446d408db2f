import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { ContractsConfig } from '@cxg/engine';
import { loadContractsConfig, readEndpoints, STATE_DIR } from '@cxg/platform';
import { readLines, readStatement, readWatermark } from '@cxg/ledger';
import { CliError } from '../errors.ts';
import { withLedger } from '../replay/ledger-cli.ts';
import { monthSummary } from '../statement/summary.ts';
import { outputClosed } from '../stdout.ts';

const cxg = fileURLToPath(new URL('../../bin/cxg.js', import.meta.url));

/** Runs one `cxg` command as a user would, echoing it first, so the demo doubles as a tour. */
function step(args: string[]): Promise<void> {
  process.stdout.write(`\n$ cxg ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cxg, ...args], { stdio: 'inherit' });
    child.once('error', reject);
    // the step printed its own error above; the demo stops there, exit 1
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new CliError(`cxg ${args[0]} exited with ${code}`, 1))));
  });
}

/** A path as short as it can be said from here: relative below the working directory, else absolute. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

/**
 * One screen after the replay: per contract and month its total and state, top line types and the
 * quality gates of a closed month, read from the demo's ledger; then the command for each full statement.
 */
async function summary(config: ContractsConfig, clickhouse: string, events: string): Promise<string> {
  const statements: string[] = [];
  const out = await withLedger(clickhouse, async (client) => {
    const watermark = await readWatermark(client);
    const lines = [`\nSummary of the ledger ${clickhouse}${watermark === null ? '' : ` at watermark ${new Date(watermark).toISOString()}`}:`];
    for (const contract of config.contracts) {
      const stored = await readLines(client, { contractIds: [contract.id] });
      const months = [...new Set(stored.map((l) => l.date.slice(0, 7)))].sort();
      lines.push(`${contract.id} (${contract.provider_id}), ${contract.currency}${months.length === 0 ? ': no ledger lines' : ''}`);
      for (const month of months) {
        const read = await readStatement(client, contract.id, month);
        if (read.statement === null) continue;
        lines.push(...monthSummary(read.statement, stored.filter((l) => l.date.startsWith(month))).map((l) => `  ${l}`));
        statements.push(`  cxg statement --clickhouse ${clickhouse} --contract ${contract.id} --month ${month}`);
      }
    }
    return lines;
  });
  const example = config.contracts[0];
  return [
    ...out,
    '',
    'Each full statement (lines per day, totals, adjustments; add --format csv|json|xlsx|html --out FILE for a file):',
    ...statements,
    ...(example ? [`The records behind a line: cxg evidence --clickhouse ${clickhouse} --contract ${example.id} --date 2026-10-12 --line gainshare_repeat`] : []),
    `Events: ${events}`,
    '',
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('the whole job on embedded defaults: simulate two months of traffic, replay them through the engine into embedded ClickHouse, end with a one-screen summary per contract')
    .option('--customers <n>', 'simulated customers', '3000')
    .option('--seed <n>', 'simulation seed', '7')
    .addHelpText(
      'after',
      `
Needs no Kafka, Redis or ClickHouse server: replay runs the same engine and rating code as the workers, with ClickHouse embedded (chdb). Files go to .cxg/demo.
It ends with each contract's months (total, final or provisional, top line types, the quality gates of a closed
month) and the \`cxg statement\` command that prints each full statement. Colours only on a terminal (NO_COLOR, FORCE_COLOR).`,
    )
    .action(async (opts: { customers: string; seed: string }) => {
      const dir = join(STATE_DIR, 'demo');
      mkdirSync(dir, { recursive: true });
      const events = shortPath(join(dir, 'events.ndjson'));
      const clickhouse = `chdb://${shortPath(join(dir, 'clickhouse'))}`;
      const configFile = shortPath(readEndpoints().configFile);
      // October 2026 closes (the simulated period runs past its end plus the lateness); November
      // stays open, so the summary shows both final and provisional months.
      const start = '2026-10-01T00:00:00+02:00';
      const steps = [
        ['config', 'check', configFile],
        ['simulate', '--seed', opts.seed, '--customers', opts.customers, '--days', '56', '--start', start, '--issue-rate', '0.2', '--bad-ratio', '0.002', '--duplicate-ratio', '0.002', '--out', events],
        ['replay', '--events', events, '--config', configFile, '--clickhouse', clickhouse],
      ];
      for (const args of steps) {
        // a reader that stopped early (`cxg demo | head`) sees nothing more: stop, exit 0
        if (outputClosed()) return;
        await step(args);
      }
      if (!outputClosed()) process.stdout.write(await summary(loadContractsConfig(configFile), clickhouse, events));
    });
}
