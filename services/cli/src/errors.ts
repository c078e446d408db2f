/**
 * The CLI's one error and exit-code convention. A command that cannot do its job throws; main.ts
 * catches once, prints `cxg <command>: <message>` (one line) on stderr and sets process.exitCode,
 * so every `finally` of the command (closing the embedded ClickHouse, a Redis connection, a
 * progress bar) has run before the process ends. No command calls process.exit.
 *
 * Exit codes: 0 done; 1 invalid arguments (commander, before the action runs) or a failure the
 * command names (no ledger lines, Redis unreachable, a failed write); 2 the input, config or
 * target cannot be used as given (the domain errors of `exitTwo` below); 130 interrupted. Any
 * other error is unexpected: exit 1 and one line, with the stack when LOG_LEVEL is debug or trace.
 */
import { ConfigError, LineRangeError } from '@cxg/engine';
import { DatabaseInUseError } from '@cxg/ledger';
import { WorkerSettingsError } from '@cxg/platform';
import { ReplayTargetError } from './replay/accruals.ts';
import { UnreadableInputError } from './replay/ndjson.ts';

export type ExitCode = 1 | 2 | 130;

export interface CliErrorOptions extends ErrorOptions {
  /** The command has printed its own report of the failure (e.g. `config check`): main prints nothing more. */
  reported?: boolean;
}

/** An expected failure of a command: printed as one line, no stack trace, exit `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly reported: boolean;

  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options: CliErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reported = options.reported ?? false;
  }
}

/**
 * The domain errors that mean "this input, config or target cannot be used as given", exit 2 in
 * every command: an invalid or unreadable contracts YAML, an unreadable events file, an embedded
 * ClickHouse directory another process holds, the worker's database as a replay target, a line
 * whose amount lies beyond the signed 64-bit range of cents.
 */
const exitTwo = [ConfigError, WorkerSettingsError, UnreadableInputError, DatabaseInUseError, ReplayTargetError, LineRangeError] as const;

/** The CliError an error stands for, or null when it is unexpected. */
function cliErrorOf(err: unknown): CliError | null {
  if (err instanceof CliError) return err;
  if (exitTwo.some((type) => err instanceof type)) return new CliError((err as Error).message, 2, { cause: err });
  return null;
}

/** What main prints for an error of `command` (e.g. `statement`, `config check`; '' before one ran), and the exit code. */
export function describeFailure(command: string, err: unknown, logLevel = process.env.LOG_LEVEL): { text: string; exitCode: ExitCode } {
  const label = command === '' ? 'cxg' : `cxg ${command}`;
  const known = cliErrorOf(err);
  if (known) return { text: known.reported ? '' : `${label}: ${oneLine(known.message)}\n`, exitCode: known.exitCode };
  const e = err instanceof Error ? err : new Error(String(err));
  if (logLevel === 'debug' || logLevel === 'trace') return { text: `${label}: ${withCauses(e)}\n`, exitCode: 1 };
  return { text: `${label}: ${oneLine(e.message)} (unexpected ${e.name}; LOG_LEVEL=debug prints the stack)\n`, exitCode: 1 };
}

const oneLine = (message: string): string => message.split('\n').join('; ');

function withCauses(e: Error): string {
  let text = e.stack ?? `${e.name}: ${e.message}`;
  for (let c = e.cause, depth = 0; c !== undefined && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    text += `\ncaused by: ${c instanceof Error ? (c.stack ?? c.message) : String(c)}`;
  }
  return text;
}
