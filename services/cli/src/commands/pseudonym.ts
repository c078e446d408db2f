import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { pseudonymizerFromEnv } from '../pseudonym.ts';

interface PseudonymOptions {
  stdin?: boolean;
}

export function register(program: Command): void {
  program
    .command('pseudonym')
    .description('the pseudonym of raw customer ids under CX_PSEUDONYM_KEY (docs/security.md): to look an id up or check one, never to reverse one')
    .argument('[ids...]', 'raw customer ids')
    .option('--stdin', 'read one raw id a line from stdin as well')
    .addHelpText(
      'after',
      `
Prints "<raw id><TAB><pseudonym>" a line. An id that already is a pseudonym is printed unchanged.
Needs CX_PSEUDONYM_KEY or CX_PSEUDONYM_KEY_FILE; with the previous key (CX_PSEUDONYM_KEY=<old key>) it gives
the previous pseudonyms, which a key rotation's hand-over needs (docs/security.md, "Key rotation").
A pseudonym cannot be turned back into the raw id: HMAC is one-way.

Exit codes: 0 printed; 2 no key or a malformed key.`,
    )
    .action(async (ids: string[], opts: PseudonymOptions) => {
      const p = pseudonymizerFromEnv();
      if (!p) throw new CliError('CX_PSEUDONYM_KEY (or CX_PSEUDONYM_KEY_FILE) is not set: without the key no pseudonym can be computed', 2);
      const out = (id: string) => process.stdout.write(`${id}\t${p.pseudonym(id)}\n`);
      for (const id of ids) out(id);
      if (opts.stdin) {
        for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) if (line !== '') out(line);
      }
    });
}
