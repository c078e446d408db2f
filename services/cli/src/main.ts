import { Command } from 'commander';
import { describeFailure } from './errors.ts';
import { quietWhenClosed } from './stdout.ts';
import * as bench from './commands/bench.ts';
import * as config from './commands/config.ts';
import * as demo from './commands/demo.ts';
import * as dlq from './commands/dlq.ts';
import * as doctor from './commands/doctor.ts';
import * as evidence from './commands/evidence.ts';
import * as kpis from './commands/kpis.ts';
import * as pseudonym from './commands/pseudonym.ts';
import * as publish from './commands/publish.ts';
import * as replay from './commands/replay.ts';
import * as rerate from './commands/rerate.ts';
import * as run from './commands/run.ts';
import * as serve from './commands/serve.ts';
import * as simulate from './commands/simulate.ts';
import * as stack from './commands/stack.ts';
import * as statement from './commands/statement.ts';
import * as topics from './commands/topics.ts';
import * as whatif from './commands/whatif.ts';

const program = new Command('cxg')
  .description('cx-gainshare: repeat contacts, channel switches, quality KPIs and gainshare accruals from event streams')
  .showHelpAfterError()
  .enablePositionalOptions()
  .addHelpText(
    'after',
    `
Errors and exit codes (each command's --help lists its own): 0 done; 1 invalid arguments, or a
failure the command names; 2 the input, config or target cannot be used as given (an invalid or
unreadable contracts YAML or events file, an embedded ClickHouse directory in use, a line that
cannot be booked); 130 interrupted. An expected error is one line on stderr, \`cxg <command>:
<message>\`; an unexpected one is one line too, exit 1, with the stack trace when LOG_LEVEL is
debug or trace.

Output: stdout carries the command's output alone (with --json exactly one JSON document); logs
(JSON lines, LOG_LEVEL) and progress go to stderr. Colours only when stdout is a terminal; NO_COLOR
turns them off, FORCE_COLOR on (0 off). A reader that closes stdout early (\`| head -1\`) ends
nothing with an error: the command finishes and exits as it would have.`,
  );

// Each command lives in its own module under ./commands and registers itself here.
for (const m of [demo, doctor, stack, topics, simulate, publish, run, serve, replay, statement, rerate, whatif, evidence, pseudonym, kpis, dlq, config, bench]) m.register(program);

// Output (docs/decisions.md, "Command line"): stdout is the command's output alone (logs go to
// stderr, @cxg/platform's createLogger); a reader closing it early ends nothing with a stack trace.
quietWhenClosed();

// Errors are handled here, once (errors.ts): one line `cxg <command>: <message>` on stderr and
// process.exitCode, never process.exit, so the command's `finally` blocks have all run.
let command = '';
program.hook('preAction', (_program, action) => {
  const names: string[] = [];
  for (let c: Command | null = action; c !== null && c !== program; c = c.parent) names.unshift(c.name());
  command = names.join(' ');
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const { text, exitCode } = describeFailure(command, err);
  process.stderr.write(text);
  process.exitCode = exitCode;
}
