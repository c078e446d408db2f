/** The CLI's one error convention (src/errors.ts): what main.ts prints and which exit code it sets. */
import { describe, expect, it } from 'vitest';
import { ConfigError, LineRangeError } from '@cxg/engine';
import { DatabaseInUseError } from '@cxg/ledger';
import { CliError, describeFailure } from '../src/errors.ts';
import { ReplayTargetError } from '../src/replay/accruals.ts';
import { UnreadableInputError } from '../src/replay/ndjson.ts';

describe('describeFailure', () => {
  it('prints a CliError as one line `cxg <command>: <message>` with its exit code', () => {
    expect(describeFailure('statement', new CliError('no ledger lines\nfor k', 1))).toEqual({ text: 'cxg statement: no ledger lines; for k\n', exitCode: 1 });
    expect(describeFailure('config check', new CliError('x.yaml: INVALID', 2, { reported: true }))).toEqual({ text: '', exitCode: 2 });
    expect(describeFailure('', new CliError('boom', 1)).text).toBe('cxg: boom\n');
  });

  it('maps the domain errors to exit 2, in every command', () => {
    const config = new ConfigError('c.yaml', [{ path: 'timezone', message: 'required', line: null, col: null }]);
    const range = new LineRangeError('k', '2026-05-06', 'upsell_commission', null, 'amount_cents', '9907919180215090100');
    for (const err of [config, range, new UnreadableInputError('e.ndjson: cannot read (ENOENT)'), new DatabaseInUseError('in use'), new ReplayTargetError('the worker’s')]) {
      expect(describeFailure('replay', err)).toEqual({ text: `cxg replay: ${err.message.split('\n').join('; ')}\n`, exitCode: 2 });
    }
  });

  it('reports an unexpected error as exit 1, one line unless LOG_LEVEL is debug or trace', () => {
    const err = new TypeError('x is not a function', { cause: new Error('inner') });
    expect(describeFailure('topics init', err, 'info')).toEqual({ text: 'cxg topics init: x is not a function (unexpected TypeError; LOG_LEVEL=debug prints the stack)\n', exitCode: 1 });
    const debug = describeFailure('topics init', err, 'debug');
    expect(debug.exitCode).toBe(1);
    expect(debug.text).toMatch(/^cxg topics init: TypeError: x is not a function\n\s+at /);
    expect(debug.text).toContain('caused by: Error: inner');
    expect(describeFailure('run', 'a string', undefined)).toEqual({ text: 'cxg run: a string (unexpected Error; LOG_LEVEL=debug prints the stack)\n', exitCode: 1 });
  });
});
