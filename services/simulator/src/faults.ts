// Invalid records for --bad-ratio. Each kind breaks one rejection rule of docs/events.md and is
// built from a valid record so everything else about it looks real.
import type { InputTopic, RejectReason } from '@cxg/engine';
import { TOPICS } from '@cxg/engine';
import type { SimEvent, SimRecord } from './record.ts';
import type { Rng } from './rng.ts';

export const BAD_KINDS = [
  'empty_string',
  'reserved_provider_id',
  'string_too_long',
  'missing_field',
  'unknown_enum',
  'wrong_type',
  'timestamp_before_2000',
  'timestamp_in_future',
  'malformed_intent',
  'ended_before_started',
  'span_over_24h',
  'unanswered_not_abandoned',
  'answered_but_abandoned',
  'answered_at_outside_contact',
  'csat_out_of_range',
  'csat_on_abandoned',
  'negative_sale',
] as const satisfies readonly RejectReason[];
/** Named after the engine's reject reasons: each bad record's first broken rule is its kind. */
export type BadKind = (typeof BAD_KINDS)[number];

type Value = Record<string, unknown>;

interface TopicFaults {
  readonly kinds: readonly BadKind[];
  /** Strings that must not be empty: the non-nullable ones, and the journey customer_id. */
  readonly strings: readonly string[];
  /** Fields without an Avro default: leaving one out makes the record undecodable. */
  readonly required: readonly string[];
  readonly enums: Readonly<Record<string, readonly string[]>>;
  /** Field → a value of the wrong JSON type. */
  readonly wrongTypes: ReadonlyArray<readonly [string, unknown]>;
  readonly timestamps: readonly string[];
}

const COMMON: readonly BadKind[] = [
  'empty_string',
  'string_too_long',
  'missing_field',
  'unknown_enum',
  'wrong_type',
  'timestamp_before_2000',
  'timestamp_in_future',
];
const SPANNING: readonly BadKind[] = ['malformed_intent', 'ended_before_started', 'span_over_24h'];

const FAULTS: Readonly<Record<InputTopic, TopicFaults>> = {
  [TOPICS.contacts]: {
    kinds: [
      ...COMMON,
      'reserved_provider_id',
      ...SPANNING,
      'unanswered_not_abandoned',
      'answered_but_abandoned',
      'answered_at_outside_contact',
      'csat_out_of_range',
      'csat_on_abandoned',
      'negative_sale',
    ],
    strings: ['event_id', 'contact_id', 'customer_id', 'provider_id', 'queue', 'intent'],
    required: ['event_id', 'contact_id', 'customer_id', 'provider_id', 'channel', 'queue', 'intent', 'started_at', 'ended_at', 'outcome'],
    enums: { channel: ['FAX', 'VIDEO', 'phone'], outcome: ['SOLVED', 'CALLBACK', 'resolved'] },
    wrongTypes: [['started_at', true], ['customer_id', 12345], ['csat', 'good'], ['sale_cents', false], ['ended_at', {}]],
    timestamps: ['started_at', 'answered_at', 'ended_at'],
  },
  [TOPICS.web]: {
    kinds: [...COMMON, ...SPANNING],
    strings: ['event_id', 'session_id', 'customer_id', 'journey', 'last_step'],
    required: ['event_id', 'session_id', 'journey', 'started_at', 'ended_at', 'outcome', 'last_step'],
    enums: { outcome: ['TIMEOUT', 'SUCCESS', 'failed'] },
    wrongTypes: [['started_at', true], ['session_id', 987], ['customer_id', 42], ['outcome', 1]],
    timestamps: ['started_at', 'ended_at'],
  },
  [TOPICS.customers]: {
    kinds: [...COMMON, 'reserved_provider_id'],
    strings: ['event_id', 'customer_id', 'provider_id'],
    required: ['event_id', 'customer_id', 'provider_id', 'type', 'occurred_at'],
    enums: { type: ['SUSPENDED', 'PAUSED', 'activated'] },
    wrongTypes: [['won_by_provider', 'yes'], ['occurred_at', true], ['provider_id', 7]],
    timestamps: ['occurred_at'],
  },
};

const MALFORMED_CODES = ['Billing.Invoice', 'billing..refund', 'tech.', '.tariff', 'billing.invoice-question', 'tariff change', 'BILLING'];
const LONG = 'x'.repeat(300);
const BEFORE_2000 = Date.UTC(1999, 5, 1);
// Fixed, not derived from the clock, so bad records stay byte-identical between runs.
const FAR_AHEAD = Date.UTC(2100, 0, 1);
const H = 3_600_000;

export interface BadIds {
  readonly event: string;
  readonly contact: string;
}

/** A copy of `source` with fresh ids, broken in one way. */
export function makeBad(rng: Rng, source: SimEvent, ids: BadIds): { record: SimRecord; kind: BadKind } {
  const f = FAULTS[source.topic];
  const kind = rng.pick(f.kinds);
  const v: Value = { ...source.value, event_id: ids.event };
  // A bad copy must not share a contact_id with the valid original.
  if (source.topic === TOPICS.contacts) v.contact_id = ids.contact;
  breakValue(rng, kind, f, v, source.topic);
  return { record: { topic: source.topic, key: source.key, value: v }, kind };
}

function breakValue(rng: Rng, kind: BadKind, f: TopicFaults, v: Value, topic: InputTopic): void {
  const codeField = topic === TOPICS.web ? 'journey' : 'intent';
  switch (kind) {
    case 'empty_string':
      v[rng.pick(f.strings)] = '';
      return;
    case 'reserved_provider_id':
      v.provider_id = 'all';
      return;
    case 'string_too_long': {
      const field = rng.pick(f.strings);
      // Keeps intent codes well-formed, so length is the only fault (an anonymous journey gets a long customer_id).
      v[field] = field === codeField ? `billing.${LONG}` : `${String(v[field] ?? 'anon')}-${LONG}`;
      return;
    }
    case 'missing_field':
      delete v[rng.pick(f.required)];
      return;
    case 'unknown_enum': {
      const field = rng.pick(Object.keys(f.enums));
      v[field] = rng.pick(f.enums[field] ?? ['UNKNOWN']);
      return;
    }
    case 'wrong_type': {
      const [field, value] = rng.pick(f.wrongTypes);
      v[field] = value;
      return;
    }
    case 'timestamp_before_2000':
      shiftTimes(v, f.timestamps, BEFORE_2000 - latest(v, f.timestamps));
      return;
    case 'timestamp_in_future':
      shiftTimes(v, f.timestamps, FAR_AHEAD - earliest(v, f.timestamps));
      return;
    case 'malformed_intent':
      v[codeField] = rng.pick(MALFORMED_CODES);
      return;
    case 'ended_before_started':
      v.ended_at = num(v.started_at) - rng.int(1, 3600) * 1000;
      if (topic === TOPICS.contacts) abandon(v);
      return;
    case 'span_over_24h':
      // Moving the start back keeps answered_at inside [started_at, ended_at].
      v.started_at = num(v.ended_at) - rng.int(25, 30) * H;
      return;
    case 'unanswered_not_abandoned':
      if (v.answered_at === null) v.outcome = 'UNRESOLVED';
      else v.answered_at = null;
      return;
    case 'answered_but_abandoned':
      if (v.answered_at === null) v.answered_at = v.started_at;
      v.outcome = 'ABANDONED';
      v.csat = null;
      return;
    case 'answered_at_outside_contact':
      answer(v);
      v.answered_at = num(v.ended_at) + rng.int(1, 600) * 1000;
      return;
    case 'csat_out_of_range':
      answer(v);
      v.csat = rng.pick([0, 6, 7, 10, -1]);
      return;
    case 'csat_on_abandoned':
      abandon(v);
      v.csat = rng.int(1, 5);
      return;
    case 'negative_sale':
      v.sale_cents = -rng.int(1, 100) * 100;
      return;
  }
}

function answer(v: Value): void {
  if (v.answered_at !== null) return;
  v.answered_at = v.started_at;
  v.outcome = 'UNRESOLVED';
}

function abandon(v: Value): void {
  v.answered_at = null;
  v.outcome = 'ABANDONED';
  v.csat = null;
  v.agent_id = null;
  v.sale_cents = 0;
}

function num(x: unknown): number {
  if (typeof x !== 'number') throw new TypeError(`expected a timestamp, got ${String(x)}`);
  return x;
}

function present(v: Value, fields: readonly string[]): number[] {
  return fields.map((k) => v[k]).filter((x): x is number => typeof x === 'number');
}

function latest(v: Value, fields: readonly string[]): number {
  return Math.max(...present(v, fields));
}

function earliest(v: Value, fields: readonly string[]): number {
  return Math.min(...present(v, fields));
}

function shiftTimes(v: Value, fields: readonly string[], delta: number): void {
  for (const k of fields) {
    const x = v[k];
    if (typeof x === 'number') v[k] = x + delta;
  }
}
