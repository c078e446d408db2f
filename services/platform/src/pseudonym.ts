/**
 * Pseudonymous customer ids (docs/security.md, "Customer ids are pseudonymised").
 *
 * With CX_PSEUDONYM_KEY set, every customer id of an input record is replaced where the record is
 * decoded (Serde.decode for Kafka, `cxg replay` for files) by
 *
 *   p<version>_<base64url of the first 16 bytes of HMAC-SHA256(secret, UTF-8 customer_id)>
 *
 * e.g. `p1_3q2-7wAAAAAAAAAAAAAAAA` (22 characters after the prefix). Everything downstream (Redis,
 * ClickHouse, signals, logs) then only ever sees the pseudonym. HMAC is one-way: the original cannot
 * be computed from a pseudonym, only checked by whoever holds the key (`cxg evidence --customer`,
 * `cxg pseudonym`).
 *
 * An id that already has the pseudonym form is left as it is, whatever its version, so that
 * pseudonymising twice changes nothing (a replay of pseudonymised data, a signal read back) and a
 * rotation hand-over can address the old pseudonyms directly. Ids the validator rejects (empty,
 * longer than 256 code points, not a string) are left as they are too, so a record is rejected
 * for the same reason with and without the key.
 */
import { createHmac } from 'node:crypto';
import { TOPICS } from '@cxg/engine';

/** The form of a pseudonym: `p<version 1..999>_` and 22 base64url characters (128 bits). */
export const PSEUDONYM_PATTERN = /^p[1-9][0-9]{0,2}_[A-Za-z0-9_-]{22}$/;

/** True when `id` has the pseudonym form (and is left unchanged by every pseudonymizer). */
export function isPseudonym(id: string): boolean {
  return PSEUDONYM_PATTERN.test(id);
}

/** Shortest secret accepted, in UTF-8 bytes: `openssl rand -base64 32` gives 44. */
export const MIN_SECRET_BYTES = 32;

/** The validator's bound on strings (engine validate.ts): longer ids are left for it to reject. */
const MAX_ID_CODE_POINTS = 256;

/** The fields holding a customer identifier, per Avro record (full name) of the input topics. */
export const CUSTOMER_ID_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'cx.v1.ContactEvent': ['customer_id'],
  'cx.v1.WebJourneyEvent': ['customer_id'],
  'cx.v1.CustomerEvent': ['customer_id'],
};

/** The record of each input topic, for values that come without a schema (replay files). */
export const INPUT_RECORD_OF_TOPIC: Readonly<Record<string, string>> = {
  [TOPICS.contacts]: 'cx.v1.ContactEvent',
  [TOPICS.web]: 'cx.v1.WebJourneyEvent',
  [TOPICS.customers]: 'cx.v1.CustomerEvent',
};

export interface Pseudonymizer {
  /** The key's version: the `<n>` of the `p<n>_` prefix. */
  readonly version: number;
  /** The pseudonym of a raw id; an id that already is a pseudonym comes back unchanged. */
  pseudonym(id: string): string;
  /**
   * The value with every customer id field of `record` (an Avro full name, see CUSTOMER_ID_FIELDS)
   * pseudonymised in place, and returned. Values of other records, fields that are absent, null,
   * not strings, empty or too long for the validator are left alone.
   */
  apply(record: string, value: unknown): unknown;
}

function codePointsAtMost(s: string, max: number): boolean {
  if (s.length <= max) return true;
  let n = 0;
  for (const _ of s) if (++n > max) return false;
  return true;
}

/**
 * The pseudonymizer of a CX_PSEUDONYM_KEY value, `<secret>` (version 1) or `p<n>:<secret>`; null
 * when the key is unset (null, undefined or ''). A malformed value throws an error that names the
 * variable, never the value.
 */
export function createPseudonymizer(spec: string | null | undefined, name = 'CX_PSEUDONYM_KEY'): Pseudonymizer | null {
  if (spec === null || spec === undefined || spec === '') return null;
  let version = 1;
  let secret = spec;
  const versioned = /^p([0-9]+):/.exec(spec);
  if (versioned) {
    version = Number(versioned[1]);
    if (!/^[1-9][0-9]{0,2}$/.test(versioned[1]!)) throw new Error(`${name}: the version prefix p<n>: must have n in 1..999`);
    secret = spec.slice(versioned[0].length);
  }
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new Error(`${name}: the secret is shorter than ${MIN_SECRET_BYTES} bytes (make one with: openssl rand -base64 32)`);
  }
  const prefix = `p${version}_`;
  const key = Buffer.from(secret, 'utf8');
  const pseudonym = (id: string): string =>
    isPseudonym(id) ? id : prefix + createHmac('sha256', key).update(id, 'utf8').digest().subarray(0, 16).toString('base64url');
  return {
    version,
    pseudonym,
    apply(record, value) {
      const fields = CUSTOMER_ID_FIELDS[record];
      if (!fields || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
      const v = value as Record<string, unknown>;
      for (const f of fields) {
        const id = v[f];
        if (typeof id === 'string' && id !== '' && codePointsAtMost(id, MAX_ID_CODE_POINTS)) v[f] = pseudonym(id);
      }
      return value;
    },
  };
}
