import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { loadSchema, Serde, UndecodableError } from '../src/serde.ts';
import { createPseudonymizer } from '../src/pseudonym.ts';

const TOPIC = 'cx.contacts.v1';
const MAX = 2n ** 53n - 1n;
const WRITER_ID = 7;

/** Another producer's client, which writes any int64 exactly (longs as bigints). */
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as bigint),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});
const bigWriter = avro.Type.forSchema(loadSchema(TOPIC), {
  typeHook: (s) => (s === 'long' || (typeof s === 'object' && !Array.isArray(s) && (s as { type?: unknown }).type === 'long') ? bigLong : undefined),
});

/** What the registry client hands back for the writer id: avsc's default types. */
const registry = { getSchema: async () => avro.Type.forSchema(loadSchema(TOPIC)) } as unknown as SchemaRegistry;
const serde = new Serde(registry, 'http://registry.invalid');

const contact = (over: Record<string, bigint | null> = {}) => ({
  event_id: 'e1',
  contact_id: 'c1',
  customer_id: 'u1',
  provider_id: 'prov-a',
  agent_id: null,
  channel: 'PHONE',
  queue: 'q',
  intent: 'billing.x',
  started_at: 1_790_000_000_000n,
  answered_at: null,
  ended_at: 1_790_000_060_000n,
  outcome: 'ABANDONED',
  csat: null,
  sale_cents: 0n,
  ...over,
});

function wire(body: Buffer): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(WRITER_ID, 1);
  body.copy(out, 5);
  return out;
}

const decode = (over: Record<string, bigint | null>) => serde.decode(TOPIC, wire(bigWriter.toBuffer(contact(over))));

describe('Serde: Avro longs are exact up to ±(2^53 − 1) and undecodable beyond', () => {
  it.each([MAX, -MAX, -(2n ** 52n + 1n), 2n ** 52n + 1n, 0n])('reads sale_cents %s exactly', async (n) => {
    expect(await decode({ sale_cents: n })).toMatchObject({ sale_cents: Number(n) });
  });

  it('reads timestamps and a nullable timestamp at the bound exactly', async () => {
    expect(await decode({ started_at: MAX, answered_at: -MAX })).toMatchObject({ started_at: Number(MAX), answered_at: -Number(MAX) });
  });

  it.each<[string, bigint]>([
    ['sale_cents', MAX + 1n],
    ['sale_cents', -(MAX + 1n)],
    ['sale_cents', 2n ** 63n - 1n],
    ['sale_cents', -(2n ** 63n)],
    ['started_at', MAX + 1n],
    ['ended_at', -(MAX + 2n)],
    ['answered_at', MAX + 1n],
  ])('%s = %s is an UndecodableError (DLQ reason undecodable), never a rounded number', async (field, n) => {
    const err = await decode({ [field]: n }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UndecodableError);
    expect((err as Error).message).toContain(`long ${n} is beyond ±(2^53 − 1)`);
  });

  it('encodes ±(2^53 − 1) and refuses 2^53 and fractions', () => {
    const type = serde.reader(TOPIC);
    const plain = (o: Record<string, unknown>) =>
      Object.fromEntries(Object.entries({ ...contact(), ...o }).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
    for (const n of [Number(MAX), -Number(MAX)]) {
      expect(type.fromBuffer(type.toBuffer(plain({ sale_cents: n })))).toMatchObject({ sale_cents: n });
    }
    expect(() => type.toBuffer(plain({ sale_cents: 2 ** 53 }))).toThrow();
    expect(() => type.toBuffer(plain({ sale_cents: 1.5 }))).toThrow();
    expect(type.isValid(plain({ sale_cents: Number(MAX) }))).toBe(true);
    expect(type.isValid(plain({ sale_cents: 2 ** 53 }))).toBe(false);
  });

  it('still turns truncated bytes into an UndecodableError', async () => {
    const body = bigWriter.toBuffer(contact());
    await expect(serde.decode(TOPIC, wire(body.subarray(0, body.length - 3)))).rejects.toBeInstanceOf(UndecodableError);
  });
});

describe('Serde with CX_PSEUDONYM_KEY: decoded input records carry the pseudonym', () => {
  const KEY = 'serde-test-key-'.padEnd(40, 'x');
  const keyed = new Serde(registry, 'http://registry.invalid', { pseudonymKey: KEY });
  const pseudonym = createPseudonymizer(KEY)!.pseudonym;

  it('a decoded contact carries the pseudonym of its customer_id, every other field as written', async () => {
    const body = wire(bigWriter.toBuffer(contact()));
    const plain = (await serde.decode(TOPIC, body)) as Record<string, unknown>;
    const decoded = (await keyed.decode(TOPIC, body)) as Record<string, unknown>;
    expect(plain.customer_id).toBe('u1');
    expect(decoded.customer_id).toBe(pseudonym('u1'));
    expect(decoded.customer_id).toMatch(/^p1_[A-Za-z0-9_-]{22}$/);
    expect({ ...decoded, customer_id: 'u1' }).toEqual({ ...plain });
  });

  it('leaves an id that already is a pseudonym alone (a replay of pseudonymised data is stable)', async () => {
    const once = pseudonym('u1');
    const body = wire(bigWriter.toBuffer({ ...contact(), customer_id: once }));
    expect(await keyed.decode(TOPIC, body)).toMatchObject({ customer_id: once });
  });

  it('does not touch signals: the detector wrote pseudonyms into them already', async () => {
    const signals = 'cx.signals.v1';
    const type = avro.Type.forSchema(loadSchema(signals));
    const reg = { getSchema: async () => type } as unknown as SchemaRegistry;
    const s = new Serde(reg, 'http://registry.invalid', { pseudonymKey: KEY });
    const signal = {
      signal_id: 'sig:e2', kind: 'REPEAT_CONTACT', customer_id: 'u1', contact_event_id: 'e2', contact_id: 'c2', contact_provider_id: 'prov-a',
      contact_channel: 'PHONE', contact_ended_at: 1_790_000_060_000, intent_family: 'billing', prior_event_id: 'e1', prior_id: 'c1',
      prior_provider_id: 'prov-b', prior_ended_at: 1_790_000_000_000, gap_ms: 1000,
    };
    expect(await s.decode(signals, wire(type.toBuffer(signal)))).toMatchObject({ customer_id: 'u1' });
  });

  it('refuses a malformed key when it is created, naming the variable only', () => {
    expect(() => Serde.create('http://registry.invalid', { pseudonymKey: 'short' })).toThrow(/^CX_PSEUDONYM_KEY: /);
    expect(Serde.create('http://registry.invalid', { pseudonymKey: null }).pseudonymizer).toBeNull();
  });
});
