/**
 * Exact rational numbers on BigInt, for every money path (docs/accruals.md, "Rounding").
 * Rates and shares arrive as decimal text and money is integer cents; a rational keeps
 * intermediate results such as `active × fee / 31` exact until the single rounding per line.
 */

const DECIMAL_RE = /^([+-])?(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?$/;

// Bounds a hostile or mistyped exponent (`1e999999999`) instead of building a giant BigInt.
const MAX_EXPONENT = 1000;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

export type DecimalLike = Decimal | bigint | number | string;

export class Decimal {
  /** Numerator; the sign lives here. */
  readonly num: bigint;
  /** Denominator, always > 0 and coprime with `num`. */
  readonly den: bigint;

  private constructor(num: bigint, den: bigint) {
    if (den === 0n) throw new RangeError('Decimal: division by zero');
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    const g = gcd(num, den);
    this.num = g > 1n ? num / g : num;
    this.den = g > 1n ? den / g : den;
  }

  static readonly ZERO = new Decimal(0n, 1n);
  static readonly ONE = new Decimal(1n, 1n);

  /** `num / den` exactly. */
  static ratio(num: bigint, den: bigint): Decimal {
    return new Decimal(num, den);
  }

  static fromBigInt(n: bigint): Decimal {
    return new Decimal(n, 1n);
  }

  /** Integers only: a fractional JS number has already lost exactness, so it is refused. */
  static fromInteger(n: number): Decimal {
    if (!Number.isSafeInteger(n)) throw new RangeError(`Decimal.fromInteger: not a safe integer: ${n}`);
    return new Decimal(BigInt(n), 1n);
  }

  /** Parses decimal text exactly: `0.40`, `-2.5`, `.5`, `1e3`, `1.25E-2`. */
  static fromDecimalString(text: string): Decimal {
    const m = DECIMAL_RE.exec(text.trim());
    if (!m) throw new SyntaxError(`not a decimal number: ${JSON.stringify(text)}`);
    const [, sign, body = '', expText] = m;
    const [intPart = '', fracPart = ''] = body.split('.');
    const exp = (expText === undefined ? 0 : Number(expText)) - fracPart.length;
    if (Math.abs(exp) > MAX_EXPONENT) throw new RangeError(`decimal exponent out of range: ${JSON.stringify(text)}`);
    let num = BigInt((intPart + fracPart).replace(/^0+(?=\d)/, '') || '0');
    if (sign === '-') num = -num;
    return exp >= 0 ? new Decimal(num * pow10(exp), 1n) : new Decimal(num, pow10(-exp));
  }

  /** Accepts a Decimal, a bigint, a safe integer number, or decimal text. */
  static from(v: DecimalLike): Decimal {
    if (v instanceof Decimal) return v;
    if (typeof v === 'bigint') return Decimal.fromBigInt(v);
    if (typeof v === 'number') return Decimal.fromInteger(v);
    return Decimal.fromDecimalString(v);
  }

  static min(a: Decimal, b: Decimal): Decimal {
    return a.lte(b) ? a : b;
  }

  static max(a: Decimal, b: Decimal): Decimal {
    return a.gte(b) ? a : b;
  }

  static sum(values: Iterable<Decimal>): Decimal {
    let acc = Decimal.ZERO;
    for (const v of values) acc = acc.add(v);
    return acc;
  }

  add(o: DecimalLike): Decimal {
    const b = Decimal.from(o);
    return new Decimal(this.num * b.den + b.num * this.den, this.den * b.den);
  }

  sub(o: DecimalLike): Decimal {
    const b = Decimal.from(o);
    return new Decimal(this.num * b.den - b.num * this.den, this.den * b.den);
  }

  mul(o: DecimalLike): Decimal {
    const b = Decimal.from(o);
    return new Decimal(this.num * b.num, this.den * b.den);
  }

  /** Throws RangeError on division by zero. */
  div(o: DecimalLike): Decimal {
    const b = Decimal.from(o);
    if (b.num === 0n) throw new RangeError('Decimal: division by zero');
    return new Decimal(this.num * b.den, this.den * b.num);
  }

  neg(): Decimal {
    return new Decimal(-this.num, this.den);
  }

  abs(): Decimal {
    return this.num < 0n ? this.neg() : this;
  }

  sign(): -1 | 0 | 1 {
    return this.num < 0n ? -1 : this.num > 0n ? 1 : 0;
  }

  cmp(o: DecimalLike): -1 | 0 | 1 {
    const b = Decimal.from(o);
    const l = this.num * b.den;
    const r = b.num * this.den;
    return l < r ? -1 : l > r ? 1 : 0;
  }

  eq(o: DecimalLike): boolean {
    return this.cmp(o) === 0;
  }
  lt(o: DecimalLike): boolean {
    return this.cmp(o) < 0;
  }
  lte(o: DecimalLike): boolean {
    return this.cmp(o) <= 0;
  }
  gt(o: DecimalLike): boolean {
    return this.cmp(o) > 0;
  }
  gte(o: DecimalLike): boolean {
    return this.cmp(o) >= 0;
  }

  isZero(): boolean {
    return this.num === 0n;
  }

  isInteger(): boolean {
    return this.den === 1n;
  }

  /** Nearest integer, ties away from zero (0.5 → 1, −0.5 → −1, 2.5 → 3): the ledger's rounding. */
  roundHalfAwayFromZero(): bigint {
    const neg = this.num < 0n;
    const a = neg ? -this.num : this.num;
    let q = a / this.den;
    if (2n * (a % this.den) >= this.den) q += 1n;
    return neg ? -q : q;
  }

  /** Fixed-point text with `digits` decimals, ties away from zero; never prints `-0.0000`. */
  toFixed(digits: number): string {
    if (!Number.isInteger(digits) || digits < 0 || digits > 100) throw new RangeError(`toFixed: bad digits ${digits}`);
    const scaled = this.mul(Decimal.fromBigInt(pow10(digits))).roundHalfAwayFromZero();
    const neg = scaled < 0n;
    const s = (neg ? -scaled : scaled).toString().padStart(digits + 1, '0');
    const body = digits === 0 ? s : `${s.slice(0, -digits)}.${s.slice(-digits)}`;
    return neg ? `-${body}` : body;
  }

  /** Exact text: a terminating decimal (`0.4`, `-157.5`) or, if it does not terminate, `num/den`. */
  toString(): string {
    let d = this.den;
    let twos = 0;
    let fives = 0;
    while (d % 2n === 0n) {
      d /= 2n;
      twos++;
    }
    while (d % 5n === 0n) {
      d /= 5n;
      fives++;
    }
    if (d !== 1n) return `${this.num}/${this.den}`;
    const digits = Math.max(twos, fives);
    return this.toFixed(digits);
  }

  toJSON(): string {
    return this.toString();
  }

  /** For display and metrics only (never money): the nearest double to the exact value. */
  toNumber(): number {
    const limit = BigInt(Number.MAX_SAFE_INTEGER);
    const a = this.num < 0n ? -this.num : this.num;
    if (a <= limit && this.den <= limit) return Number(this.num) / Number(this.den);
    return Number(this.toFixed(20));
  }
}

/** Shorthand: `dec('0.40')`, `dec(3)`, `dec(5n)`. */
export function dec(v: DecimalLike): Decimal {
  return Decimal.from(v);
}

/** The signed 64-bit range (ClickHouse Int64): the ledger's `amount_cents` must lie inside it. */
export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);

export function fitsInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX;
}

/**
 * A bigint cents amount as a JS number, refusing values a double cannot hold exactly. For display
 * and metrics only: the ledger keeps amounts as bigint end to end.
 */
export function centsToNumber(cents: bigint): number {
  const n = Number(cents);
  if (!Number.isSafeInteger(n)) throw new RangeError(`amount out of safe integer range: ${cents} cents`);
  return n;
}
