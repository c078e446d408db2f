import { readFileSync } from 'node:fs';
import { ConfigError, parseContractsConfig, type ContractsConfig } from '@cxg/engine';

/** Reads and validates the contracts YAML; errors name the file (and, from the parser, the field). */
export function loadContractsConfig(file: string): ContractsConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(file, [{ path: '(file)', message: `cannot read the contracts config (${why}); set CX_CONFIG or --config to its path`, line: null, col: null }]);
  }
  return parseContractsConfig(text, file);
}
