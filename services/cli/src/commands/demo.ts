import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadContractsConfig, readEndpoints, STATE_DIR } from '@cxg/platform';
import { CliError } from '../errors.ts';

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

export function register(program: Command): void {
  program
    .command('demo')
    .description('the whole job on embedded defaults: simulate a month of traffic, replay it through the engine into embedded ClickHouse, print the statements')
    .option('--customers <n>', 'simulated customers', '3000')
    .option('--seed <n>', 'simulation seed', '7')
    .addHelpText('after', '\nNeeds no Kafka, Redis or ClickHouse server: replay runs the same engine and rating code as the workers, with ClickHouse embedded (chdb). Files go to .cxg/demo.')
    .action(async (opts: { customers: string; seed: string }) => {
      const dir = join(STATE_DIR, 'demo');
      mkdirSync(dir, { recursive: true });
      const events = join(dir, 'events.ndjson');
      const clickhouse = `chdb://${join(dir, 'clickhouse')}`;
      const configFile = readEndpoints().configFile;
      // October 2026 closes (the simulated period runs past its end plus the lateness); November
      // stays open, so statements show both final and provisional lines.
      const start = '2026-10-01T00:00:00+02:00';
      await step(['config', 'check', configFile]);
      await step(['simulate', '--seed', opts.seed, '--customers', opts.customers, '--days', '56', '--start', start, '--issue-rate', '0.2', '--bad-ratio', '0.002', '--duplicate-ratio', '0.002', '--out', events]);
      await step(['replay', '--events', events, '--config', configFile, '--clickhouse', clickhouse]);
      for (const contract of loadContractsConfig(configFile).contracts) {
        const month = contract.valid_from > '2026-10-01' ? contract.valid_from.slice(0, 7) : '2026-10';
        await step(['statement', '--contract', contract.id, '--month', month, '--clickhouse', clickhouse]);
      }
      process.stdout.write(`\nEvents: ${events}\nLedger: ${clickhouse} (try: cxg evidence --clickhouse ${clickhouse} --contract c-prov-a-2026 --date 2026-10-12 --line gainshare_repeat)\n`);
    });
}
