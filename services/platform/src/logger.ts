import { pino, type Logger } from 'pino';
import { REDACT_PATHS } from './env.ts';

export type { Logger };

/**
 * JSON logs to stdout (a command whose stdout is its output logs to stderr); customer identifiers only at debug level. Secrets never reach a line:
 * REDACT_PATHS blanks passwords, keys and URLs that may carry credentials wherever an endpoints or
 * config object is logged.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info', to: 'stdout' | 'stderr' = 'stdout'): Logger {
  const options = { name, level, base: { worker: name }, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } };
  return to === 'stdout' ? pino(options) : pino(options, pino.destination(2));
}
