import { pino, type Logger } from 'pino';
import { REDACT_PATHS } from './env.ts';

export type { Logger };

/**
 * JSON logs on stderr (fd 2), always: stdout belongs to a command's output, so `cxg … --json | jq`
 * reads one document even when a worker, a Kafka client or the simulator logs in the same process,
 * and a worker's log lines reach its supervisor on stderr (docs/decisions.md, "Command line").
 * Customer identifiers only at debug level. Secrets never reach a line: REDACT_PATHS blanks
 * passwords, keys and URLs that may carry credentials wherever an endpoints or config object is
 * logged.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { worker: name }, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } }, pino.destination(2));
}
