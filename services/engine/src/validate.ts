/**
 * Input validation (docs/events.md, "Rejections"): decoding as a replay file needs it, then the rules.
 *
 * Order: the whole record is decoded before any rule; then the first
 * bullet clause by clause across all fields (every string that must not be empty, then
 * `provider_id` `all`, then every string's length, then the intent/journey code); then span,
 * the contact rules, `duplicate_contact_id` (in dedupe.ts) and the timestamp rules.
 *
 * Decisions where the rules leave room (docs/decisions.md):
 * - Decoding checks fields in schema order and reports the first problem; any decoding problem
 *   outranks every validation rule (an undecodable record has no fields to judge).
 * - An unknown extra field is rejected (`unknown_field`), checked after the known fields: in a
 *   replay file a misspelt defaulted field (`sale_cent`) would otherwise silently become its
 *   default, the same reason contract YAML refuses unknown keys.
 * - A field set to `undefined` counts as absent; `null` for a non-nullable field is `wrong_type`.
 * - Timestamps: a safe-integer number (or bigint) of epoch ms, or an ISO-8601 date-time with a
 *   zone (`Z`, `±HH:MM`, `±HHMM`, `±HH`); seconds and fraction optional, digits below the ms
 *   truncated. Anything else, a zone-less ISO string included, is `wrong_type`. An ISO string has
 *   a 4-digit year, so it always lies within the safe range.
 * - Every `long` (timestamps and `sale_cents`), as a number or a bigint, must be a safe integer,
 *   |x| ≤ 2^53 − 1, else `wrong_type`: a bigint is compared before it is converted, and a number
 *   beyond the range may already be a rounded neighbour of what the producer wrote.
 * - `csat` must be an integer in the Avro int range (else `wrong_type`).
 * - "Longer than 256 characters" counts Unicode code points.
 * - Emptiness: every non-nullable string, plus the journey `customer_id` (null = anonymous, but
 *   `""` would link every such journey to one pseudo-customer). The other nullable strings,
 *   `agent_id` and `error_code`, may be empty: only the journey customer is singled out, and
 *   neither keys, links nor counts anything.
 * - `reserved_provider_id` is `provider_id === "all"` exactly (case-sensitive, like every id):
 *   `All` or `alls` are ordinary provider ids. It applies to contacts and customer events.
 * - The record spans more than 24 hours when `ended_at − started_at > 86 400 000` (exactly 24 h passes).
 * - "Before 2000-01-01" is `< 946 684 800 000`; "in the future" is `> nowMs + 86 400 000`; every
 *   timestamp of the record counts, `answered_at` included when set.
 * - `duplicate_contact_id` is stateful and left to `judge()` in dedupe.ts. Because it precedes the
 *   timestamp rules in rule order, a failure for a timestamp rule carries the decoded `event`, so
 *   that `judge()` can still report a known contact_id first.
 */
import {
  ChannelValues,
  ContactOutcomeValues,
  CustomerEventTypeValues,
  JourneyOutcomeValues,
  type ContactEvent,
  type CustomerEvent,
  type WebJourneyEvent,
} from './events.generated.ts';
import { isIntent } from './intent.ts';
import { REASONS_AFTER_DUPLICATE_CONTACT_ID, type RejectReason } from './reject.ts';
import { parseTimestamp } from './timestamp.ts';
import { TOPICS, type InputTopic } from './topics.ts';

export type InputEvent = ContactEvent | WebJourneyEvent | CustomerEvent;

/**
 * `event` on a failure is the decoded, normalised record when decoding succeeded and only a
 * rule after `duplicate_contact_id` in rule order was broken (see `judge()`).
 */
export type ValidationResult<E = InputEvent> =
  | { ok: true; event: E }
  | { ok: false; reason: RejectReason; message: string; event?: E };

export type EventOfTopic<T extends InputTopic> = T extends typeof TOPICS.contacts
  ? ContactEvent
  : T extends typeof TOPICS.web
    ? WebJourneyEvent
    : CustomerEvent;

const MAX_STRING_LENGTH = 256;
export const MAX_SPAN_MS = 24 * 60 * 60 * 1000;
const FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000;
/** 2000-01-01T00:00:00Z. */
export const MIN_TIMESTAMP_MS = 946_684_800_000;
/** `provider_id` of the aggregate rows (all providers together): never a provider of an event. */
export const RESERVED_PROVIDER_ID = 'all';
const MAX_SAFE_LONG = BigInt(Number.MAX_SAFE_INTEGER);

type FieldSpec =
  | {
      name: string;
      type: 'string' | 'timestamp' | 'int' | 'long' | 'boolean';
      nullable?: true;
      default?: unknown;
      /** A nullable string that may be null but never "" (the journey customer_id). */
      nonEmpty?: true;
    }
  | { name: string; type: 'enum'; symbols: readonly string[] };

const CONTACT_FIELDS: readonly FieldSpec[] = [
  { name: 'event_id', type: 'string' },
  { name: 'contact_id', type: 'string' },
  { name: 'customer_id', type: 'string' },
  { name: 'provider_id', type: 'string' },
  { name: 'agent_id', type: 'string', nullable: true, default: null },
  { name: 'channel', type: 'enum', symbols: ChannelValues },
  { name: 'queue', type: 'string' },
  { name: 'intent', type: 'string' },
  { name: 'started_at', type: 'timestamp' },
  { name: 'answered_at', type: 'timestamp', nullable: true, default: null },
  { name: 'ended_at', type: 'timestamp' },
  { name: 'outcome', type: 'enum', symbols: ContactOutcomeValues },
  { name: 'csat', type: 'int', nullable: true, default: null },
  { name: 'sale_cents', type: 'long', default: 0 },
];

const WEB_FIELDS: readonly FieldSpec[] = [
  { name: 'event_id', type: 'string' },
  { name: 'session_id', type: 'string' },
  { name: 'customer_id', type: 'string', nullable: true, default: null, nonEmpty: true },
  { name: 'journey', type: 'string' },
  { name: 'started_at', type: 'timestamp' },
  { name: 'ended_at', type: 'timestamp' },
  { name: 'outcome', type: 'enum', symbols: JourneyOutcomeValues },
  { name: 'last_step', type: 'string' },
  { name: 'error_code', type: 'string', nullable: true, default: null },
];

const CUSTOMER_FIELDS: readonly FieldSpec[] = [
  { name: 'event_id', type: 'string' },
  { name: 'customer_id', type: 'string' },
  { name: 'provider_id', type: 'string' },
  { name: 'type', type: 'enum', symbols: CustomerEventTypeValues },
  { name: 'occurred_at', type: 'timestamp' },
  { name: 'won_by_provider', type: 'boolean', default: false },
];

const FIELDS: Record<InputTopic, readonly FieldSpec[]> = {
  [TOPICS.contacts]: CONTACT_FIELDS,
  [TOPICS.web]: WEB_FIELDS,
  [TOPICS.customers]: CUSTOMER_FIELDS,
};

type Failure = { ok: false; reason: RejectReason; message: string };

/** A field's decoding failure; a class, so a decoded value needs no wrapper object (this runs per field of every record). */
class FieldFailure implements Failure {
  readonly ok = false;
  constructor(
    readonly reason: RejectReason,
    readonly message: string,
  ) {}
}

/** Per topic, once from FIELDS: something of its fields. */
const perTopic = <T,>(of: (fields: readonly FieldSpec[]) => T): Record<InputTopic, T> =>
  Object.fromEntries(Object.entries(FIELDS).map(([topic, fields]) => [topic, of(fields)])) as Record<InputTopic, T>;
const FIELD_NAMES = perTopic((fields): ReadonlySet<string> => new Set(fields.map((f) => f.name)));
const STAMP_FIELDS = perTopic((fields) => fields.filter((f) => f.type === 'timestamp'));
type Decoded = { ok: true; record: Record<string, unknown> } | Failure;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function fail(reason: RejectReason, message: string): Failure {
  return { ok: false, reason, message };
}

/** The field's decoded value, or a FieldFailure. */
function decodeField(spec: FieldSpec, raw: unknown): unknown {
  const name = spec.name;
  if (spec.type === 'enum') {
    if (typeof raw !== 'string') return new FieldFailure('wrong_type', `${name}: expected an enum symbol string`);
    if (!spec.symbols.includes(raw)) return new FieldFailure('unknown_enum', `${name}: unknown symbol, expected one of ${spec.symbols.join(', ')}`);
    return raw;
  }
  if (raw === null) {
    return spec.nullable ? null : new FieldFailure('wrong_type', `${name}: null is not allowed`);
  }
  switch (spec.type) {
    case 'string':
      return typeof raw === 'string' ? raw : new FieldFailure('wrong_type', `${name}: expected a string`);
    case 'boolean':
      return typeof raw === 'boolean' ? raw : new FieldFailure('wrong_type', `${name}: expected a boolean`);
    case 'int':
      return typeof raw === 'number' && Number.isInteger(raw) && raw >= INT32_MIN && raw <= INT32_MAX
        ? raw
        : new FieldFailure('wrong_type', `${name}: expected an int`);
    case 'long': {
      // A bigint is range-checked exactly, before Number() could round it into range.
      if (typeof raw === 'bigint') {
        return raw >= -MAX_SAFE_LONG && raw <= MAX_SAFE_LONG ? Number(raw) : new FieldFailure('wrong_type', `${name}: long beyond ±(2^53 − 1)`);
      }
      // -0 is read as 0, as an Avro long carries it (found by test/validate-fuzz.test.ts)
      return typeof raw === 'number' && Number.isSafeInteger(raw)
        ? raw === 0
          ? 0
          : raw
        : new FieldFailure('wrong_type', `${name}: expected an integer (long) within ±(2^53 − 1)`);
    }
    case 'timestamp': {
      const t = parseTimestamp(raw);
      return t.ok ? t.ms : new FieldFailure('wrong_type', `${name}: ${t.message}`);
    }
  }
}

function decode(topic: InputTopic, value: unknown): Decoded {
  const fields = FIELDS[topic];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('wrong_type', 'record: expected an object');
  }
  const input = value as Record<string, unknown>;
  const record: Record<string, unknown> = {};
  for (const spec of fields) {
    const raw = Object.hasOwn(input, spec.name) ? input[spec.name] : undefined;
    if (raw === undefined) {
      if ('default' in spec) {
        record[spec.name] = spec.default;
        continue;
      }
      return fail('missing_field', `${spec.name}: required field is missing`);
    }
    const field = decodeField(spec, raw);
    if (field instanceof FieldFailure) return field;
    record[spec.name] = field;
  }
  const names = FIELD_NAMES[topic];
  for (const key of Object.keys(input)) {
    if (!names.has(key) && input[key] !== undefined) {
      return fail('unknown_field', `${JSON.stringify(key.slice(0, 64))}: not a field of this topic's schema`);
    }
  }
  return { ok: true, record };
}

function codePointLength(s: string): number {
  if (s.length <= MAX_STRING_LENGTH) return s.length; // code points never outnumber code units
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const mustNotBeEmpty = (spec: FieldSpec): boolean => spec.type === 'string' && (spec.nullable !== true || spec.nonEmpty === true);

/**
 * The string rules (step 2 in docs/events.md, "Rejections"), checked clause by clause across all fields: emptiness,
 * the reserved provider id, length, then the intent/journey code.
 */
function stringRules(fields: readonly FieldSpec[], record: Record<string, unknown>, intentField: string | null): Failure | null {
  for (const spec of fields) {
    if (mustNotBeEmpty(spec) && record[spec.name] === '') return fail('empty_string', `${spec.name}: must not be empty`);
  }
  if (record['provider_id'] === RESERVED_PROVIDER_ID) {
    return fail('reserved_provider_id', `provider_id: "${RESERVED_PROVIDER_ID}" is reserved for the aggregate of all providers`);
  }
  for (const spec of fields) {
    const v = record[spec.name];
    if (typeof v === 'string' && codePointLength(v) > MAX_STRING_LENGTH) {
      return fail('string_too_long', `${spec.name}: longer than ${MAX_STRING_LENGTH} characters`);
    }
  }
  if (intentField !== null) {
    const code = record[intentField] as string;
    if (!isIntent(code)) return fail('malformed_intent', `${intentField}: ${JSON.stringify(code)} is not a lowercase dotted code`);
  }
  return null;
}

function spanRules(startedAt: number, endedAt: number): Failure | null {
  if (endedAt < startedAt) return fail('ended_before_started', 'ended_at is before started_at');
  if (endedAt - startedAt > MAX_SPAN_MS) return fail('span_over_24h', 'the record spans more than 24 hours');
  return null;
}

function contactRules(c: ContactEvent): Failure | null {
  const abandoned = c.outcome === 'ABANDONED';
  if (c.answered_at === null && !abandoned) return fail('unanswered_not_abandoned', 'answered_at is null but outcome is not ABANDONED');
  if (c.answered_at !== null && abandoned) return fail('answered_but_abandoned', 'answered_at is set but outcome is ABANDONED');
  if (c.answered_at !== null && (c.answered_at < c.started_at || c.answered_at > c.ended_at)) {
    return fail('answered_at_outside_contact', 'answered_at is outside [started_at, ended_at]');
  }
  if (c.csat !== null && (c.csat < 1 || c.csat > 5)) return fail('csat_out_of_range', 'csat is outside 1..5');
  if (c.csat !== null && abandoned) return fail('csat_on_abandoned', 'csat is set on an abandoned contact');
  if (c.sale_cents < 0) return fail('negative_sale', 'sale_cents is negative');
  return null;
}

function timestampRules(topic: InputTopic, record: Record<string, unknown>, nowMs: number): Failure | null {
  const stamps = STAMP_FIELDS[topic];
  for (const spec of stamps) {
    const v = record[spec.name];
    if (typeof v === 'number' && v < MIN_TIMESTAMP_MS) return fail('timestamp_before_2000', `${spec.name}: before 2000-01-01`);
  }
  for (const spec of stamps) {
    const v = record[spec.name];
    if (typeof v === 'number' && v > nowMs + FUTURE_TOLERANCE_MS) {
      return fail('timestamp_in_future', `${spec.name}: more than 24 hours after the wall clock`);
    }
  }
  return null;
}

function statelessRules(topic: InputTopic, record: Record<string, unknown>): Failure | null {
  const fields = FIELDS[topic];
  if (topic === TOPICS.contacts) {
    const c = record as unknown as ContactEvent;
    return stringRules(fields, record, 'intent') ?? spanRules(c.started_at, c.ended_at) ?? contactRules(c);
  }
  if (topic === TOPICS.web) {
    const w = record as unknown as WebJourneyEvent;
    return stringRules(fields, record, 'journey') ?? spanRules(w.started_at, w.ended_at);
  }
  return stringRules(fields, record, null);
}

/**
 * Only the decoding step of validateEvent (step 1 of docs/events.md, "Rejections"): the record as
 * its Avro schema holds it (timestamps as epoch ms, defaults filled), or the decoding problem
 * (`wrong_type`, `missing_field`, `unknown_field`). What `cxg publish` sends; the rules are the
 * workers' to judge. Never throws.
 */
export function decodeEvent<T extends InputTopic>(topic: T, value: unknown): { ok: true; event: EventOfTopic<T> } | { ok: false; reason: RejectReason; message: string } {
  if (!Object.hasOwn(FIELDS, topic)) return fail('unknown_topic', `${String(topic)} is not an input topic`);
  const decoded = decode(topic, value);
  return decoded.ok ? { ok: true, event: decoded.record as unknown as EventOfTopic<T> } : fail(decoded.reason, decoded.message);
}

/**
 * Validates a decoded (or JSON-parsed) value of an input topic per docs/events.md; `nowMs` is the
 * wall clock. Returns the normalised event (timestamps as epoch ms, Avro defaults filled) or the
 * reason of the first rule broken. Never throws for any input value.
 */
export function validateEvent<T extends InputTopic>(topic: T, value: unknown, nowMs: number): ValidationResult<EventOfTopic<T>>;
export function validateEvent(topic: InputTopic, value: unknown, nowMs: number): ValidationResult;
export function validateEvent(topic: InputTopic, value: unknown, nowMs: number): ValidationResult {
  // hasOwn: a topic string like `constructor` must not reach Object.prototype.
  if (!Object.hasOwn(FIELDS, topic)) return fail('unknown_topic', `${String(topic)} is not an input topic`);
  const decoded = decode(topic, value);
  if (!decoded.ok) return decoded;
  const record = decoded.record;
  const broken = statelessRules(topic, record) ?? timestampRules(topic, record, nowMs);
  const event = record as unknown as InputEvent;
  if (broken === null) return { ok: true, event };
  return REASONS_AFTER_DUPLICATE_CONTACT_ID.includes(broken.reason) ? { ...broken, event } : broken;
}
