import type { Command } from 'commander';
import Table from 'cli-table3';
import { stackUp } from '@cxg/stack';
import { benchDetector } from '../bench/detector.ts';

export function register(program: Command): void {
  program
    .command('bench')
    .description('measure detector throughput on the local stack beside baselines measured in the same run')
    .option('--customers <n>', 'simulated customers', (v) => Number(v), 3000)
    .option('--days <n>', 'simulated days', (v) => Number(v), 7)
    .option('--seed <n>', 'simulation seed', (v) => Number(v), 42)
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nBrings the local stack up first (like npm test). Timings are wall clock on this machine; compare rows of one run, not runs of different machines.')
    .action(async (opts: { customers: number; days: number; seed: number; json?: boolean }) => {
      const env = await stackUp({ log: (l) => process.stderr.write(`[stack] ${l}\n`) });
      Object.assign(process.env, env);
      const result = await benchDetector({ ...opts, log: (l) => process.stderr.write(`[bench] ${l}\n`) });
      if (opts.json) {
        console.log(JSON.stringify(result));
        return;
      }
      const table = new Table({ head: ['stage', 'records', 'seconds', 'records/s', 'batch p50 ms', 'batch p99 ms'], style: { head: [], border: [] } });
      for (const s of result.stages) {
        table.push([s.stage, s.records, s.seconds.toFixed(2), Math.round(s.perSecond), s.batchP50Ms ?? '', s.batchP99Ms ?? '']);
      }
      console.log(table.toString());
      const r = result.redis;
      console.log(`${result.signals} signals. Redis per customer (MEMORY USAGE over ${r.customersSampled} customers): timeline ${r.timelineBytes} B + duplicate markers ${r.dedupeBytes} B = ${r.bytesPerCustomer} B`);
    });
}
