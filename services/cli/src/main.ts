import { Command } from 'commander';
import * as bench from './commands/bench.ts';
import * as config from './commands/config.ts';
import * as demo from './commands/demo.ts';
import * as evidence from './commands/evidence.ts';
import * as kpis from './commands/kpis.ts';
import * as replay from './commands/replay.ts';
import * as rerate from './commands/rerate.ts';
import * as run from './commands/run.ts';
import * as simulate from './commands/simulate.ts';
import * as stack from './commands/stack.ts';
import * as statement from './commands/statement.ts';
import * as topics from './commands/topics.ts';

const program = new Command('cxg')
  .description('cx-gainshare: repeat contacts, channel switches, quality KPIs and gainshare accruals from event streams')
  .showHelpAfterError()
  .enablePositionalOptions();

// Each command lives in its own module under ./commands and registers itself here.
for (const m of [demo, stack, topics, simulate, run, replay, statement, rerate, evidence, kpis, config, bench]) m.register(program);

await program.parseAsync(process.argv);
