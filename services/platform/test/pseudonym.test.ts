import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPseudonymizer, isPseudonym, PSEUDONYM_PATTERN } from '../src/pseudonym.ts';

const KEY = 'k'.repeat(32);
const OTHER = 'o'.repeat(32);
const p1 = createPseudonymizer(KEY)!;

describe('pseudonym: HMAC-SHA256 of the customer id, versioned, one-way', () => {
  it('is off without a key', () => {
    expect(createPseudonymizer(undefined)).toBeNull();
    expect(createPseudonymizer(null)).toBeNull();
    expect(createPseudonymizer('')).toBeNull();
  });

  it('is p<version>_ and the base64url of the first 16 bytes of HMAC-SHA256(secret, id)', () => {
    const mac = createHmac('sha256', KEY).update('cust-1').digest().subarray(0, 16).toString('base64url');
    expect(p1.pseudonym('cust-1')).toBe(`p1_${mac}`);
    expect(p1.pseudonym('cust-1')).toMatch(PSEUDONYM_PATTERN);
    expect(p1.pseudonym('cust-1')).toHaveLength(25);
    expect(p1.version).toBe(1);
  });

  it('is stable: the same key gives the same pseudonym, in any pseudonymizer made from it', () => {
    expect(p1.pseudonym('cust-1')).toBe(createPseudonymizer(KEY)!.pseudonym('cust-1'));
    expect(p1.pseudonym('Ümlaut-€')).toBe(createPseudonymizer(KEY)!.pseudonym('Ümlaut-€'));
  });

  it('is keyed: different ids and different keys give different pseudonyms', () => {
    expect(p1.pseudonym('cust-1')).not.toBe(p1.pseudonym('cust-2'));
    expect(p1.pseudonym('cust-1')).not.toBe(p1.pseudonym('Cust-1'));
    expect(createPseudonymizer(OTHER)!.pseudonym('cust-1')).not.toBe(p1.pseudonym('cust-1'));
  });

  it('carries the key version as its prefix', () => {
    const p2 = createPseudonymizer(`p2:${OTHER}`)!;
    expect(p2.version).toBe(2);
    expect(p2.pseudonym('cust-1')).toMatch(/^p2_/);
    // the version is a label of the secret: the same secret under another version differs only in the prefix
    expect(createPseudonymizer(`p7:${KEY}`)!.pseudonym('cust-1').slice(3)).toBe(p1.pseudonym('cust-1').slice(3));
    expect(createPseudonymizer(`p1:${KEY}`)!.pseudonym('cust-1')).toBe(p1.pseudonym('cust-1'));
  });

  it('is idempotent: a pseudonym of any version is left as it is', () => {
    const once = p1.pseudonym('cust-1');
    expect(isPseudonym(once)).toBe(true);
    expect(p1.pseudonym(once)).toBe(once);
    const p2 = createPseudonymizer(`p2:${OTHER}`)!;
    expect(p2.pseudonym(once)).toBe(once);
    expect(isPseudonym('cust-1')).toBe(false);
    expect(isPseudonym('p1_short')).toBe(false);
    expect(isPseudonym(`${once}x`)).toBe(false);
    expect(isPseudonym(`p0_${once.slice(3)}`)).toBe(false);
  });

  it('refuses a short secret or a bad version, naming the variable and never the value', () => {
    const secret = 'tooshort-secret';
    expect(() => createPseudonymizer(secret)).toThrow(/^CX_PSEUDONYM_KEY: the secret is shorter than 32 bytes/);
    expect(() => createPseudonymizer(secret)).not.toThrow(new RegExp(secret));
    expect(() => createPseudonymizer(`p0:${KEY}`)).toThrow(/CX_PSEUDONYM_KEY: the version prefix/);
    expect(() => createPseudonymizer(`p1000:${KEY}`)).toThrow(/1\.\.999/);
    expect(() => createPseudonymizer(`p2:${'x'.repeat(31)}`)).toThrow(/shorter than 32 bytes/);
  });

  it('applies to the customer id of the three input records only, and leaves what the validator rejects alone', () => {
    const contact = { event_id: 'e1', contact_id: 'c1', customer_id: 'cust-1', provider_id: 'prov-a' };
    expect(p1.apply('cx.v1.ContactEvent', { ...contact })).toEqual({ ...contact, customer_id: p1.pseudonym('cust-1') });
    expect(p1.apply('cx.v1.CustomerEvent', { customer_id: 'cust-1' })).toEqual({ customer_id: p1.pseudonym('cust-1') });
    expect(p1.apply('cx.v1.WebJourneyEvent', { session_id: 's1', customer_id: 'cust-1' })).toEqual({ session_id: 's1', customer_id: p1.pseudonym('cust-1') });
    // anonymous journeys, absent, empty, over-long and non-string ids: as they were (rejected or anonymous alike with and without the key)
    expect(p1.apply('cx.v1.WebJourneyEvent', { session_id: 's1', customer_id: null })).toEqual({ session_id: 's1', customer_id: null });
    expect(p1.apply('cx.v1.ContactEvent', { event_id: 'e1' })).toEqual({ event_id: 'e1' });
    expect(p1.apply('cx.v1.ContactEvent', { customer_id: '' })).toEqual({ customer_id: '' });
    const long = '😀'.repeat(257);
    expect(p1.apply('cx.v1.ContactEvent', { customer_id: long })).toEqual({ customer_id: long });
    expect(p1.apply('cx.v1.ContactEvent', { customer_id: '😀'.repeat(256) })).toEqual({ customer_id: p1.pseudonym('😀'.repeat(256)) });
    expect(p1.apply('cx.v1.ContactEvent', { customer_id: 42 })).toEqual({ customer_id: 42 });
    expect(p1.apply('cx.v1.ContactEvent', 'not an object')).toBe('not an object');
    // signals and alerts are not input records: the detector already wrote pseudonyms into them
    const signal = { signal_id: 'sig:e1', customer_id: 'cust-1' };
    expect(p1.apply('cx.v1.JourneySignal', { ...signal })).toEqual(signal);
  });
});
