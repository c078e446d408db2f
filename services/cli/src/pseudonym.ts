import { createPseudonymizer, secretFromEnv, type Pseudonymizer } from '@cxg/platform';
import { CliError } from './errors.ts';

/**
 * The pseudonymizer of CX_PSEUDONYM_KEY / CX_PSEUDONYM_KEY_FILE (docs/security.md), read as the
 * workers read it; null when unset. A malformed key (or both variables, an unreadable file) is exit
 * 2 with a message that names the variable, never the value.
 */
export function pseudonymizerFromEnv(env: NodeJS.ProcessEnv = process.env): Pseudonymizer | null {
  try {
    return createPseudonymizer(secretFromEnv(env, 'CX_PSEUDONYM_KEY'));
  } catch (err) {
    throw new CliError((err as Error).message, 2, { cause: err });
  }
}
