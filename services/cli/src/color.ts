// Colour in cxg's output, one rule for every command (docs/decisions.md, "Command line"): on a
// terminal only, so a pipe, a log file or CI captures plain text. Every table is made here.
import Table from 'cli-table3';

interface Stream {
  isTTY?: boolean;
}

/**
 * Whether output to `stream` gets colour. FORCE_COLOR decides when it is set: `0` or `false` is
 * off, anything else (the empty string too, as for Node) on, on a pipe as well. Else a non-empty
 * NO_COLOR (no-color.org) is off. Else colour exactly when the stream is a terminal.
 */
export function colorEnabled(stream: Stream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

/**
 * A cli-table3 table for stdout. Without colour its head and border styles are emptied: cli-table3
 * colours through @colors/colors, which looks at TERM, not at the stream, and so colours a pipe.
 */
export function newTable(options: Table.TableConstructorOptions = {}, colored = colorEnabled()): Table.Table {
  return new Table(colored ? options : { ...options, style: { ...options.style, head: [], border: [] } });
}
