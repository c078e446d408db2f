/**
 * Code-point order for strings (the tie on `event_id`, docs/detection.md). Neither `<` on JS strings (UTF-16
 * code units) nor localeCompare (locale collation) gives it: a character above U+FFFF is stored
 * as surrogates 0xD800..0xDFFF, which sort below U+E000..U+FFFF as code units.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (lead units of astral code points) rank above every other BMP unit.
      if (x >= 0xd800 && y >= 0xd800) return rank(x) - rank(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

function rank(unit: number): number {
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}
