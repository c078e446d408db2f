// The bad-input corpus of docs/bad-input.md: records written straight onto the input topics, each
// with the DLQ reason it must get, and lines for `cxg replay` that reach the decoding reasons an
// Avro frame cannot carry. test/bad-input.test.ts runs it against the detector (the DLQ owner of
// cx.contacts.v1 and cx.web.v1) with good records interleaved.
//
// Every entry is data plus, where bytes depend on the run (ids, the registry's schema ids, the
// clock of the stack, the broker's size limit), a small builder. Add an entry when a new kind of bad
// input is found; a crash found by the fuzz tests becomes one here too.
import { TOPICS, type ContactEvent, type RejectReason, type WebJourneyEvent } from '@cxg/engine';

export type InputTopicName = typeof TOPICS.contacts | typeof TOPICS.web;

/** What a builder gets from the test: bases for this run and ways to turn values into frames. */
export interface CorpusContext {
  /** The stack's wall clock (Redis TIME) when the run started. */
  nowMs: number;
  /** A valid answered contact of customer `u`, ids unique to this run and entry. */
  contact(entry: string, u: number, patch?: Partial<ContactEvent>): ContactEvent;
  /** A valid failed web journey of customer `u`. */
  journey(entry: string, u: number, patch?: Partial<WebJourneyEvent>): WebJourneyEvent;
  /** The key the good records of customer `u` carry (their customer_id). */
  key(u: number): string;
  /** A valid Confluent frame with the topic's own registered schema. */
  frame(topic: InputTopicName, value: unknown): Promise<Buffer>;
  /**
   * A frame written with a newer contacts schema: `field` adds an optional field `note`, `channel`
   * adds that and a channel VIDEO.
   */
  evolvedContactFrame(value: Record<string, unknown>, change: 'field' | 'channel'): Promise<Buffer>;
  /** The first good contact of the run; it is on the topic before any bad record. */
  firstGood: ContactEvent;
  /** The broker's `message.max.bytes` (the largest record batch it accepts). */
  maxMessageBytes: number;
}

export interface KafkaEntry {
  name: string;
  topic: InputTopicName;
  /** The `cx-reason` header the DLQ copy must carry. */
  reason: RejectReason;
  /** Customer whose partition (key) it goes to; null sends it without a key. */
  u: number | null;
  build(ctx: CorpusContext): Promise<Buffer | null> | Buffer | null;
}

const DAY = 86_400_000;
/** Bytes of a deterministic pseudo-random sequence (xorshift32), so the corpus is the same on every run. */
export function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Avro's zig-zag varint of a 64-bit long. */
export function avroLong(n: bigint): Buffer {
  let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
  const bytes: number[] = [];
  do {
    let b = Number(z & 0x7fn);
    z >>= 7n;
    if (z > 0n) b |= 0x80;
    bytes.push(b);
  } while (z > 0n);
  return Buffer.from(bytes);
}

/** A contact frame whose `sale_cents` (the last field, 0 = one byte 0x00) is replaced by `cents`. */
async function withSaleCents(ctx: CorpusContext, name: string, cents: bigint): Promise<Buffer> {
  const frame = await ctx.frame(TOPICS.contacts, ctx.contact(name, 1, { sale_cents: 0 }));
  return Buffer.concat([frame.subarray(0, frame.length - 1), avroLong(cents)]);
}

/**
 * Kafka entries in the order they are sent. Reasons are those of docs/events.md reachable over
 * Kafka: `undecodable` for every byte-level fault, and every rule from `empty_string` on.
 */
export const KAFKA_CORPUS: readonly KafkaEntry[] = [
  // --- bytes that are not a readable frame ---
  { name: 'random bytes (256, seeded)', topic: TOPICS.contacts, reason: 'undecodable', u: 0, build: () => Buffer.concat([Buffer.from([0x5a]), noise(255, 7)]) },
  { name: 'random bytes behind magic 0 (unknown id)', topic: TOPICS.web, reason: 'undecodable', u: 1, build: () => Buffer.concat([Buffer.from([0, 0x7f, 0xee]), noise(61, 11)]) },
  { name: 'empty value (0 bytes)', topic: TOPICS.contacts, reason: 'undecodable', u: 1, build: () => Buffer.alloc(0) },
  { name: 'null value (tombstone)', topic: TOPICS.contacts, reason: 'undecodable', u: 2, build: () => null },
  { name: 'null value without a key', topic: TOPICS.web, reason: 'undecodable', u: null, build: () => null },
  { name: '4 bytes (shorter than the header)', topic: TOPICS.web, reason: 'undecodable', u: 2, build: () => Buffer.from([0, 0, 0, 1]) },
  {
    name: 'magic byte 1, valid body',
    topic: TOPICS.contacts,
    reason: 'undecodable',
    u: 3,
    build: async (ctx) => {
      const f = Buffer.from(await ctx.frame(TOPICS.contacts, ctx.contact('magic', 3)));
      f[0] = 1;
      return f;
    },
  },
  {
    name: 'unknown schema id 0x7ffffff1',
    topic: TOPICS.contacts,
    reason: 'undecodable',
    u: 3,
    build: async (ctx) => {
      const f = Buffer.from(await ctx.frame(TOPICS.contacts, ctx.contact('unknown-id', 3)));
      f.writeUInt32BE(0x7ffffff1, 1);
      return f;
    },
  },
  { name: 'truncated Avro (last 12 bytes cut)', topic: TOPICS.contacts, reason: 'undecodable', u: 4, build: async (ctx) => (await ctx.frame(TOPICS.contacts, ctx.contact('trunc', 4))).subarray(0, -12) },
  { name: 'header only (5 bytes, no body)', topic: TOPICS.web, reason: 'undecodable', u: 4, build: async (ctx) => (await ctx.frame(TOPICS.web, ctx.journey('hdr', 4))).subarray(0, 5) },
  { name: 'valid frame + 3 trailing bytes', topic: TOPICS.contacts, reason: 'undecodable', u: 5, build: async (ctx) => Buffer.concat([await ctx.frame(TOPICS.contacts, ctx.contact('trail', 5)), Buffer.from([1, 2, 3])]) },
  { name: 'web journey frame on the contacts topic', topic: TOPICS.contacts, reason: 'undecodable', u: 5, build: (ctx) => ctx.frame(TOPICS.web, ctx.journey('cross-w', 5)) },
  { name: 'contact frame on the web topic', topic: TOPICS.web, reason: 'undecodable', u: 0, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('cross-c', 0)) },
  {
    name: 'newer writer schema, channel VIDEO (symbol unknown to the reader)',
    topic: TOPICS.contacts,
    reason: 'undecodable',
    u: 1,
    build: (ctx) => ctx.evolvedContactFrame({ ...ctx.contact('video', 1), channel: 'VIDEO', note: 'x' }, 'channel'),
  },
  {
    // avsc resolves the whole writer schema up front, and an enum symbol the reader lacks (no enum
    // default) makes it unreadable: adding a symbol is BACKWARD but not FORWARD compatible.
    name: 'same newer writer schema, channel PHONE',
    topic: TOPICS.contacts,
    reason: 'undecodable',
    u: 1,
    build: (ctx) => ctx.evolvedContactFrame({ ...ctx.contact('video-phone', 1), note: 'x' }, 'channel'),
  },
  { name: 'sale_cents 2^53 (beyond a safe long)', topic: TOPICS.contacts, reason: 'undecodable', u: 1, build: (ctx) => withSaleCents(ctx, 'long-hi', 2n ** 53n) },
  { name: 'sale_cents -(2^53 + 1)', topic: TOPICS.contacts, reason: 'undecodable', u: 2, build: (ctx) => withSaleCents(ctx, 'long-lo', -(2n ** 53n) - 1n) },
  { name: 'sale_cents -2^63 (min long)', topic: TOPICS.contacts, reason: 'undecodable', u: 2, build: (ctx) => withSaleCents(ctx, 'long-min', -(2n ** 63n)) },

  // --- sizes ---
  {
    name: 'contact at the broker size limit (queue of ~1 MiB)',
    topic: TOPICS.contacts,
    reason: 'string_too_long',
    u: 3,
    build: async (ctx) => {
      const base = await ctx.frame(TOPICS.contacts, ctx.contact('huge', 3, { queue: '' }));
      // record batch header 61 bytes, record framing ~12, key ~40, a 3-byte length varint for the string
      const room = ctx.maxMessageBytes - 61 - 12 - 64 - base.length - 3;
      return ctx.frame(TOPICS.contacts, ctx.contact('huge', 3, { queue: 'q'.repeat(room) }));
    },
  },
  { name: 'intent of 64 KiB', topic: TOPICS.contacts, reason: 'string_too_long', u: 4, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('big-intent', 4, { intent: 'a'.repeat(65_536) })) },
  { name: 'queue of 257 code points (emoji, 514 UTF-16 units)', topic: TOPICS.contacts, reason: 'string_too_long', u: 4, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('emoji', 4, { queue: '😀'.repeat(257) })) },
  { name: 'agent_id of 257 characters (nullable strings count)', topic: TOPICS.contacts, reason: 'string_too_long', u: 5, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('agent', 5, { agent_id: 'a'.repeat(257) })) },
  { name: 'journey error_code of 300 characters', topic: TOPICS.web, reason: 'string_too_long', u: 5, build: (ctx) => ctx.frame(TOPICS.web, ctx.journey('err', 5, { error_code: 'e'.repeat(300) })) },

  // --- every rule of docs/events.md, "Rejections" ---
  { name: 'contact queue ""', topic: TOPICS.contacts, reason: 'empty_string', u: 0, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('empty', 0, { queue: '' })) },
  { name: 'journey customer_id ""', topic: TOPICS.web, reason: 'empty_string', u: 0, build: (ctx) => ctx.frame(TOPICS.web, ctx.journey('empty-cust', 0, { customer_id: '' })) },
  { name: 'contact provider_id "all"', topic: TOPICS.contacts, reason: 'reserved_provider_id', u: 1, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('all', 1, { provider_id: 'all' })) },
  { name: 'contact intent "Billing.Invoice"', topic: TOPICS.contacts, reason: 'malformed_intent', u: 1, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('intent', 1, { intent: 'Billing.Invoice' })) },
  { name: 'journey "billing..download"', topic: TOPICS.web, reason: 'malformed_intent', u: 2, build: (ctx) => ctx.frame(TOPICS.web, ctx.journey('journey', 2, { journey: 'billing..download' })) },
  {
    name: 'journey ended 1 ms before it started',
    topic: TOPICS.web,
    reason: 'ended_before_started',
    u: 2,
    build: (ctx) => {
      const j = ctx.journey('order', 2);
      return ctx.frame(TOPICS.web, { ...j, ended_at: j.started_at - 1 });
    },
  },
  {
    name: 'EMAIL open 24 h + 1 ms',
    topic: TOPICS.contacts,
    reason: 'span_over_24h',
    u: 3,
    build: (ctx) => {
      const c = ctx.contact('span', 3, { channel: 'EMAIL' });
      return ctx.frame(TOPICS.contacts, { ...c, started_at: c.ended_at - DAY - 1, answered_at: c.ended_at - DAY });
    },
  },
  { name: 'answered_at null, outcome UNRESOLVED', topic: TOPICS.contacts, reason: 'unanswered_not_abandoned', u: 3, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('unans', 3, { answered_at: null, outcome: 'UNRESOLVED', csat: null })) },
  { name: 'answered, outcome ABANDONED', topic: TOPICS.contacts, reason: 'answered_but_abandoned', u: 4, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('ansab', 4, { outcome: 'ABANDONED', csat: null })) },
  {
    name: 'answered 1 ms after it ended',
    topic: TOPICS.contacts,
    reason: 'answered_at_outside_contact',
    u: 4,
    build: (ctx) => {
      const c = ctx.contact('outside', 4);
      return ctx.frame(TOPICS.contacts, { ...c, answered_at: c.ended_at + 1 });
    },
  },
  { name: 'csat 6', topic: TOPICS.contacts, reason: 'csat_out_of_range', u: 5, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('csat6', 5, { csat: 6 })) },
  { name: 'csat -2^31 (int minimum)', topic: TOPICS.contacts, reason: 'csat_out_of_range', u: 5, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('csatmin', 5, { csat: -(2 ** 31) })) },
  { name: 'csat 1 on an abandoned contact', topic: TOPICS.contacts, reason: 'csat_on_abandoned', u: 0, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('csatab', 0, { answered_at: null, outcome: 'ABANDONED', csat: 1 })) },
  { name: 'sale_cents -1', topic: TOPICS.contacts, reason: 'negative_sale', u: 0, build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('sale', 0, { sale_cents: -1 })) },
  {
    name: "new event_id, first good contact's contact_id",
    topic: TOPICS.contacts,
    reason: 'duplicate_contact_id',
    u: 0,
    build: (ctx) => ctx.frame(TOPICS.contacts, { ...ctx.firstGood, event_id: `${ctx.firstGood.event_id}-again` }),
  },
  {
    name: 'known contact_id and a 1999 timestamp (rule order)',
    topic: TOPICS.contacts,
    reason: 'duplicate_contact_id',
    u: 0,
    build: (ctx) => ctx.frame(TOPICS.contacts, { ...ctx.firstGood, event_id: `${ctx.firstGood.event_id}-1999`, started_at: Date.UTC(1999, 11, 31), answered_at: null, outcome: 'ABANDONED', csat: null, ended_at: Date.UTC(1999, 11, 31, 0, 5) }),
  },

  // --- timestamps far past and far future ---
  {
    name: 'contact on 1999-12-31T23:59:59.999Z',
    topic: TOPICS.contacts,
    reason: 'timestamp_before_2000',
    u: 1,
    build: (ctx) => {
      const t = Date.UTC(2000, 0, 1) - 1;
      return ctx.frame(TOPICS.contacts, ctx.contact('y1999', 1, { started_at: t - 60_000, answered_at: t - 50_000, ended_at: t }));
    },
  },
  { name: 'journey at epoch 0', topic: TOPICS.web, reason: 'timestamp_before_2000', u: 1, build: (ctx) => ctx.frame(TOPICS.web, ctx.journey('epoch', 1, { started_at: 0, ended_at: 0 })) },
  { name: 'journey at -(2^53 - 1) ms', topic: TOPICS.web, reason: 'timestamp_before_2000', u: 2, build: (ctx) => ctx.frame(TOPICS.web, ctx.journey('minsafe', 2, { started_at: -Number.MAX_SAFE_INTEGER, ended_at: -Number.MAX_SAFE_INTEGER })) },
  {
    name: 'only answered_at before 2000 (and outside the contact)',
    topic: TOPICS.contacts,
    reason: 'answered_at_outside_contact',
    u: 2,
    build: (ctx) => ctx.frame(TOPICS.contacts, ctx.contact('ans1999', 2, { answered_at: Date.UTC(1999, 0, 1) })),
  },
  {
    name: 'contact 24 h + 1 min ahead of the clock',
    topic: TOPICS.contacts,
    reason: 'timestamp_in_future',
    u: 3,
    build: (ctx) => {
      const t = ctx.nowMs + DAY + 60_000;
      return ctx.frame(TOPICS.contacts, ctx.contact('future', 3, { started_at: t, answered_at: t + 1000, ended_at: t + 60_000 }));
    },
  },
  { name: 'journey in 9999-12-31', topic: TOPICS.web, reason: 'timestamp_in_future', u: 3, build: (ctx) => ctx.frame(TOPICS.web, ctx.journey('y9999', 3, { started_at: Date.UTC(9999, 11, 31), ended_at: Date.UTC(9999, 11, 31, 1) })) },
  { name: 'journey at 2^53 - 1 ms', topic: TOPICS.web, reason: 'timestamp_in_future', u: 4, build: (ctx) => ctx.frame(TOPICS.web, ctx.journey('maxsafe', 4, { started_at: Number.MAX_SAFE_INTEGER, ended_at: Number.MAX_SAFE_INTEGER })) },
];

export interface ReplayEntry {
  name: string;
  reason: RejectReason;
  /** One NDJSON line; `$NOW` is replaced with the stack's clock (epoch ms) as a number. */
  line: string;
}

const C = (patch: string) =>
  `{"topic":"cx.contacts.v1","value":{"event_id":"rp","contact_id":"rp-c","customer_id":"rp-u","provider_id":"prov-a","agent_id":null,"channel":"CHAT","queue":"q","intent":"billing.question","started_at":$NOW,"answered_at":$NOW,"ended_at":$NOW,"outcome":"RESOLVED","csat":null,"sale_cents":0${patch}}}`;

/**
 * The decoding reasons an Avro frame from Kafka can never carry (its schema enforces fields,
 * types and enums): reachable in replay files only. Run through `cxg replay --json`.
 */
export const REPLAY_CORPUS: readonly ReplayEntry[] = [
  // Found by services/cli/test/ndjson-fuzz.test.ts: a byte order mark at the start of a file and a CR
  // used as JSON whitespace made good lines undecodable (and the CR shifted every later line number).
  // Each is paired with a rule it breaks, to show the line was read as a record and numbered right.
  { name: 'BOM at the start of the file, channel VIDEO', reason: 'unknown_enum', line: '\uFEFF' + C('').replace('"channel":"CHAT"', '"channel":"VIDEO"') },
  { name: 'CR as JSON whitespace, csat 6', reason: 'csat_out_of_range', line: C('').replace('"csat":null', '\r"csat":6').replace(',"queue"', ',\r"queue"') },
  { name: 'line cut off', reason: 'undecodable', line: '{"topic":"cx.contacts.v1","value":{"event_id":"r-trunc"' },
  { name: 'a JSON array', reason: 'undecodable', line: '[1,2,3]' },
  { name: 'value is a string', reason: 'undecodable', line: '{"topic":"cx.contacts.v1","value":"e-1"}' },
  { name: 'topic cx.contacts.v2', reason: 'unknown_topic', line: C('').replace('cx.contacts.v1', 'cx.contacts.v2') },
  { name: 'topic cx.dlq.v1', reason: 'unknown_topic', line: C('').replace('cx.contacts.v1', 'cx.dlq.v1') },
  { name: 'contact without queue', reason: 'missing_field', line: C('').replace('"queue":"q",', '') },
  { name: 'started_at without a zone', reason: 'wrong_type', line: C('').replace('"started_at":$NOW', '"started_at":"2026-11-03T08:00:00"') },
  { name: 'sale_cents 2^53', reason: 'wrong_type', line: C('').replace('"sale_cents":0', '"sale_cents":9007199254740992') },
  { name: 'csat 4.5', reason: 'wrong_type', line: C('').replace('"csat":null', '"csat":4.5') },
  { name: 'channel VIDEO', reason: 'unknown_enum', line: C('').replace('"channel":"CHAT"', '"channel":"VIDEO"') },
  { name: 'extra field sale_cent', reason: 'unknown_field', line: C(',"sale_cent":500') },
  { name: 'extra field __proto__', reason: 'unknown_field', line: C(',"__proto__":{"x":1}') },
];
