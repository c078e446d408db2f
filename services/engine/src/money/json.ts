/**
 * JSON text that keeps every digit of money and quantities. `JSON.stringify` cannot print a
 * bigint and turns decimal text into a double (`Number('123456789012345678.0000')` loses digits).
 * `exactJson` prints a bigint as an integer literal and a `JsonNumber` as its own literal text, so
 * a normal value looks exactly as `JSON.stringify` of the number would (`12`, `0.22`, `-225`)
 * and a big one keeps all its digits. A reader that parses numbers as doubles still rounds them;
 * the text itself is exact.
 */

const JSON_NUMBER_RE = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** A JSON number literal held as text. */
export class JsonNumber {
  readonly text: string;

  constructor(text: string) {
    if (!JSON_NUMBER_RE.test(text)) throw new SyntaxError(`not a JSON number literal: ${JSON.stringify(text)}`);
    this.text = text;
  }

  /** Under plain `JSON.stringify` it degrades to the nearest double rather than failing. */
  toJSON(): number {
    return Number(this.text);
  }
}

/**
 * Fixed-point decimal text (`"12.0000"`, `"-0.7500"`, `"0.0000"`) as the shortest JSON number
 * literal with the same value (`12`, `-0.75`, `0`): what `JSON.stringify(Number(text))` prints
 * whenever the double is exact, and every digit when it is not.
 */
export function jsonDecimal(text: string): JsonNumber {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new SyntaxError(`not a fixed-point decimal: ${JSON.stringify(text)}`);
  const int = m[2]!.replace(/^0+(?=\d)/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const zero = /^0*$/.test(int) && frac === '';
  return new JsonNumber(`${m[1] && !zero ? '-' : ''}${int}${frac ? `.${frac}` : ''}`);
}

function write(v: unknown, inArray: boolean): string | undefined {
  if (v !== null && typeof v === 'object' && !(v instanceof JsonNumber) && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON(): unknown }).toJSON();
  }
  if (v instanceof JsonNumber) return v.text;
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    case 'undefined':
    case 'function':
    case 'symbol':
      return inArray ? 'null' : undefined;
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => write(x, true)).join(',')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const s = write(x, false);
    if (s !== undefined) parts.push(`${JSON.stringify(k)}:${s}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * Compact JSON like `JSON.stringify(value)`, except that a bigint prints as its integer literal
 * and a `JsonNumber` as its text. Objects with `toJSON` (Decimal, Date) are honoured.
 */
export function exactJson(value: unknown): string {
  return write(value, false) ?? 'null';
}
