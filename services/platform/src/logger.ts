import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs to stdout; customer identifiers only at debug level. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { worker: name } });
}
