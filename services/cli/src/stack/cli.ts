// Standalone entry for the stack commands, independent of the rest of `cxg` (used by .ci/run, and
// handy before a command is wired into main.ts):  npx tsx services/cli/src/stack/cli.ts up|down|status
import { Command } from 'commander';
import { register } from '../commands/stack.ts';

const program = new Command('cxg').showHelpAfterError();
register(program);
await program.parseAsync([process.argv[0]!, 'cxg', 'stack', ...process.argv.slice(2)]);
