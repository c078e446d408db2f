import { Command } from 'commander';

const program = new Command('cxg')
  .description('cx-gainshare: repeat contacts, channel switches, quality KPIs and gainshare accruals from event streams')
  .showHelpAfterError()
  .enablePositionalOptions();

// Each command lives in its own module under ./commands and registers itself here.
const modules: Array<{ register(program: Command): void }> = [];
for (const m of modules) m.register(program);

await program.parseAsync(process.argv);
