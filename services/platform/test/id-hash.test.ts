// The three forms of an id's hash are one hash: the hex digits are the bytes written, for any id.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { idHashHex, idHashText, writeIdHash } from '../src/index.ts';

describe('id hash', () => {
  it('gives the same 64 bits as hex, as bytes and as base64url, for any string (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (id) => {
        const bytes = Buffer.alloc(8);
        writeIdHash(bytes, 0, id);
        expect(idHashHex(id)).toBe(bytes.toString('hex'));
        expect(idHashText(id)).toBe(bytes.toString('base64url'));
      }),
      { numRuns: 2000 },
    );
    expect(idHashHex('a')).not.toBe(idHashHex('b'));
  });
});
