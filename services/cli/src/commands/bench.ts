import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { STATE_DIR } from '@cxg/platform';
import { stackUp } from '@cxg/stack';
import { newTable } from '../color.ts';
import { PARTS, SCALES, runBench, type BenchReport, type Part, type Scale } from '../bench/run.ts';
import { judge } from '../bench/targets.ts';
import { CliError } from '../errors.ts';

const int = (v: string) => Number(v);

function parts(v: string): Set<Part> {
  const picked = v.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const unknown = picked.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0 || picked.length === 0) throw new CliError(`--only: expected some of ${PARTS.join(', ')}, got ${v}`, 1);
  return new Set(picked as Part[]);
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('measure the engine and every worker on the local stack, beside a fetch + decode ceiling and naive workers measured in the same run')
    .option('--scale <scale>', `small (${SCALES.small.customers.toLocaleString('en-US')} customers, ~200 000 events) or large (${SCALES.large.customers.toLocaleString('en-US')}, ~1 M)`, 'small')
    .option('--customers <n>', 'simulated customers (overrides the scale)', int)
    .option('--days <n>', 'simulated days', int, 7)
    .option('--seed <n>', 'simulation seed', int, 42)
    .option('--only <parts>', `run only these parts, comma-separated: ${PARTS.join(', ')} (the detector also runs when kpi, accruals or redis need its signals)`, parts)
    .option('--cpu-prof', 'write V8 CPU profiles of the workers next to the JSON report')
    .option('--json', 'print the report as one JSON document on stdout (progress and every log line go to stderr)')
    .addHelpText(
      'after',
      `
Brings the local stack up first (like npm test). Every stage reads the same simulated records in one
run, so compare rows of one run, not runs of different machines. The report is also written to
.cxg/bench/<id>.json; docs/performance.md explains each row and the targets.`,
    )
    .action(async (opts: { scale: string; customers?: number; days: number; seed: number; only?: Set<Part>; cpuProf?: boolean; json?: boolean }) => {
      if (!(opts.scale in SCALES)) throw new CliError(`--scale must be small or large, got ${opts.scale}`, 1);
      const scale = opts.scale as Scale;
      const env = await stackUp({ log: (l) => process.stderr.write(`[stack] ${l}\n`) });
      Object.assign(process.env, env);
      const dir = join(STATE_DIR, 'bench');
      mkdirSync(dir, { recursive: true });
      const report = await runBench({
        scale,
        customers: opts.customers ?? SCALES[scale].customers,
        days: opts.days,
        seed: opts.seed,
        only: opts.only,
        cpuProfDir: opts.cpuProf ? join(dir, 'profiles') : undefined,
        log: (l) => process.stderr.write(`[bench] ${l}\n`),
      });
      const verdicts = judge(report);
      const file = join(dir, `${report.id}.json`);
      writeFileSync(file, `${JSON.stringify({ ...report, targets: verdicts }, null, 2)}\n`);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...report, targets: verdicts, file })}\n`);
      } else {
        printReport(report, verdicts);
        console.log(`\nreport: ${file}`);
      }
      if (report.checks.some((c) => !c.ok)) throw new CliError('bench: the results differ from cxg replay (see the checks above)', 1);
    });
}

function printReport(report: BenchReport, verdicts: ReturnType<typeof judge>): void {
  const table = newTable({ head: ['stage', 'records', 'seconds', 'records/s', 'batch p50 ms', 'batch p99 ms', 'worker cores', 'machine busy', 'note'], style: { head: [], border: [] } });
  for (const s of report.stages) {
    const cpu = s.cpu ? [s.cpu.workerCores.toFixed(2), `${Math.round(s.cpu.machineBusy * 100)} % of ${s.cpu.cores}`] : ['', ''];
    table.push([s.stage, s.records, s.seconds.toFixed(2), Math.round(s.perSecond), s.batchP50Ms ?? '', s.batchP99Ms ?? '', ...cpu, s.note ?? '']);
  }
  console.log(table.toString());
  for (const s of report.stages) {
    if (s.profile) console.log(`CPU of ${s.id} (self time): ${s.profile.top.map((t) => `${t.where} ${t.percent} %`).join(', ')}`);
  }
  if (report.redis) {
    const d = report.redis.detector;
    const k = report.redis.kpi;
    console.log(
      `Redis, detector: ${d.bytesPerCustomer} B per active customer (one string of duplicate markers and timeline: ${d.stateBytes} B of state, the rest Redis's own per key; MEMORY USAGE over ${d.customersSampled} customers)`,
    );
    console.log(`Redis, kpi: ${k.bytes} B in ${k.keys} keys = ${k.bytesPerProviderDay} B per provider-day (${k.providerDays} provider-days)`);
  }
  if (report.latency) {
    const l = report.latency;
    console.log(`Latency at ${l.offeredPerSecond} records/s offered for ${l.seconds} s (${Math.round(l.achievedPerSecond)}/s sent, ${l.sent} records), the three workers running:`);
    const lat = newTable({ head: ['produce →', 'p50 ms', 'p99 ms', 'max ms', 'seen'], style: { head: [], border: [] } });
    const row = (label: string, x: typeof l.kpi) => lat.push([label, x.p50Ms ?? '–', x.p99Ms ?? '–', x.maxMs ?? '–', `${x.seen} of ${x.expected}`]);
    row(`KPI count visible in Redis (polled every ${l.pollMs.kpi} ms)`, l.kpi);
    row(`signal on cx.signals.v1 (reorder wait: L = ${l.allowedLatenessMs} ms of event time = ${Math.round(l.allowedLatenessMs / Math.max(1, l.eventTimeSpeedup))} ms here)`, l.signal);
    row(`provisional ledger line (accruals commit, polled every ${l.pollMs.ledger} ms)`, l.ledger);
    console.log(lat.toString());
  }
  const checks = newTable({ head: ['check', 'result', 'detail'], style: { head: [], border: [] } });
  for (const c of report.checks) checks.push([c.check, c.ok ? 'ok' : 'FAILED', c.detail]);
  console.log(checks.toString());
  const targets = newTable({ head: ['target', 'measured', ''], style: { head: [], border: [] } });
  for (const v of verdicts) targets.push([v.target, v.measured, v.met ? 'met' : 'missed']);
  console.log(targets.toString());
}
