import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { AVRO_TOPICS, type Topic } from '@cxg/engine';
import { REPO_ROOT } from './env.ts';
import { createPseudonymizer, type Pseudonymizer } from './pseudonym.ts';
import { DEFAULT_TOPIC_NAMES, type TopicNames } from './topic-names.ts';

const MAGIC = 0;

export interface SerdeOptions {
  /**
   * CX_PSEUDONYM_KEY (`Endpoints.pseudonymKey`): when set, decode pseudonymises the customer ids of
   * the input records (contacts, web journeys, customer events; pseudonym.ts). Null or absent: off.
   */
  pseudonymKey?: string | null;
  /**
   * The Kafka names of the logical topics (settings' `topics`): schemas are registered under
   * `<Kafka topic>-value`, and produceRecords sends to the Kafka topic. Default: docs/events.md's.
   */
  names?: TopicNames;
}

/** Reads schemas/<topic>.avsc, the single source of the event model. */
export function loadSchema(topic: Topic): avro.Schema {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'schemas', `${topic}.avsc`), 'utf8')) as avro.Schema;
}

/** The registry subject of a Kafka topic's values (TopicNameStrategy): `<Kafka topic>-value`. */
export const subjectOf = (topic: string): string => `${topic}-value`;

/** Decoding failed for a reason that retrying cannot fix: the record goes to the DLQ. */
export class UndecodableError extends Error {
  override readonly name = 'UndecodableError';
}

const MAX_SAFE_LONG = BigInt(Number.MAX_SAFE_INTEGER);

/** An Avro long outside ±(2^53 − 1), which a JS number cannot hold exactly (docs/events.md, "Long values"). */
class LongRangeError extends Error {
  override readonly name = 'LongRangeError';
}

function safeLong(n: bigint): number {
  if (n > MAX_SAFE_LONG || n < -MAX_SAFE_LONG) throw new LongRangeError(`long ${n} is beyond ±(2^53 − 1)`);
  return Number(n);
}

/**
 * Every Avro `long` (timestamps, `sale_cents`, counts) as a JS number, exact on both sides of the
 * bound |x| ≤ 2^53 − 1. avsc's default long is not: it refuses 2^53 − 1 itself (its bound is
 * 2^53 − 2) and reads the varint in floating point, so a negative value beyond −2^52 comes back
 * rounded, even with its sign flipped (−(2^52 + 1) reads as +2^52), without an error. This type
 * reads the 64-bit value as a bigint and throws beyond the bound, which decode() turns into an
 * UndecodableError, so such a record goes to the DLQ as `undecodable`.
 */
const SAFE_LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer): number => safeLong(buf.readBigInt64LE()),
  toBuffer: (n: number): Buffer => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown): number => {
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    if (typeof v === 'bigint') return safeLong(v);
    throw new LongRangeError(`${String(v)} is not a long within ±(2^53 − 1)`);
  },
  toJSON: (n: number): number => n,
  isValid: (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n),
  compare: (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0),
});

/** Builds avsc types with SAFE_LONG for every long, `timestamp-millis` ones included. */
const typeHook = (schema: avro.Schema): avro.Type | undefined =>
  schema === 'long' || (typeof schema === 'object' && !Array.isArray(schema) && (schema as { type?: unknown }).type === 'long') ? SAFE_LONG : undefined;

/** The avsc type of a schema as this process reads and writes it (exact longs, see SAFE_LONG). */
function avroType(schema: avro.Schema): avro.Type {
  return avro.Type.forSchema(schema, { typeHook });
}

/**
 * Confluent wire format (magic byte 0, 4-byte schema id, Avro body) over a Confluent-compatible registry.
 * The registry client fetches and caches writer schemas; this class caches the avsc reader types and the
 * writer→reader resolvers, which the client would rebuild on every decode.
 *
 * Every method takes the logical topic (`TOPICS`, whose schema is schemas/<topic>.avsc); the subject
 * is that of its Kafka topic under `names` (a name that is none of ours is its own Kafka topic).
 */
export class Serde {
  private readonly readers = new Map<string, avro.Type>();
  private readonly writerIds = new Map<string, number>();
  private readonly resolvers = new Map<string, avro.Resolver>();

  /** Null when ids are not pseudonymised (no CX_PSEUDONYM_KEY). */
  readonly pseudonymizer: Pseudonymizer | null;
  /** Logical ↔ Kafka topic names. */
  readonly names: TopicNames;

  constructor(
    readonly registry: SchemaRegistry,
    private readonly registryUrl: string,
    opts: SerdeOptions = {},
  ) {
    this.pseudonymizer = createPseudonymizer(opts.pseudonymKey);
    this.names = opts.names ?? DEFAULT_TOPIC_NAMES;
  }

  static create(registryUrl: string, opts: SerdeOptions = {}): Serde {
    return new Serde(new SchemaRegistry({ host: registryUrl, retry: { retries: 3 } }, { [SchemaType.AVRO]: {} }), registryUrl, opts);
  }

  /** The reader type for a topic: `schema` when given on first use, else schemas/<topic>.avsc. */
  reader(topic: string, schema?: avro.Schema): avro.Type {
    let type = this.readers.get(topic);
    if (!type) {
      type = avroType(schema ?? loadSchema(topic as Topic));
      this.readers.set(topic, type);
    }
    return type;
  }

  /**
   * Sets BACKWARD compatibility on `<Kafka topic>-value` and registers the schema; idempotent.
   * We PUT the config first because the client only sets it after a 404, and Apicurio answers 200 NONE.
   */
  async register(topic: string, schema: avro.Schema = loadSchema(topic as Topic)): Promise<number> {
    const subject = subjectOf(this.names.physical(topic));
    const res = await fetch(`${this.registryUrl}/config/${encodeURIComponent(subject)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    if (!res.ok) throw new Error(`schema registry ${this.registryUrl}: PUT /config/${subject} answered ${res.status}: ${await res.text()}`);
    const { id } = await this.registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    this.writerIds.set(topic, id);
    return id;
  }

  /** Registers the schemas of `topics`; the ids by Kafka topic. */
  async registerAll(topics: readonly string[] = AVRO_TOPICS): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (const topic of topics) ids.set(this.names.physical(topic), await this.register(topic));
    return ids;
  }

  /** Encodes with this process's schema for the topic, registering it on first use. */
  async encode(topic: string, value: unknown): Promise<Buffer> {
    const id = this.writerIds.get(topic) ?? (await this.register(topic));
    const type = this.reader(topic);
    const body = type.toBuffer(value);
    const out = Buffer.allocUnsafe(5 + body.length);
    out.writeUInt8(MAGIC, 0);
    out.writeUInt32BE(id, 1);
    body.copy(out, 5);
    return out;
  }

  /**
   * Decodes into this process's reader schema for the topic (newer compatible writers resolve to it).
   * Throws UndecodableError for bad bytes or an unknown schema id; other errors (registry down) propagate
   * so the batch is retried instead of dead-lettering good data. With a pseudonymizer, the customer
   * ids of input records (by the reader's record name) come back as pseudonyms; signals and alerts
   * come back as they were written (the detector wrote pseudonyms already).
   */
  async decode(topic: string, buf: Buffer | null): Promise<unknown> {
    if (!buf) throw new UndecodableError('null value (a tombstone): input topics carry no deletes');
    if (buf.length < 5) throw new UndecodableError(`record of ${buf.length} bytes is too short for the Confluent wire format`);
    if (buf.readUInt8(0) !== MAGIC) throw new UndecodableError(`magic byte ${buf.readUInt8(0)}, expected ${MAGIC}`);
    const id = buf.readUInt32BE(1);
    const reader = this.reader(topic);
    const key = `${topic}\u0000${id}`;
    let resolver = this.resolvers.get(key);
    if (!resolver) {
      let writer: avro.Type;
      try {
        writer = (await this.registry.getSchema(id)) as unknown as avro.Type;
      } catch (err) {
        const status = (err as { status?: number }).status;
        if (status === 404 || status === 422) throw new UndecodableError(`unknown schema id ${id}`);
        throw err;
      }
      try {
        resolver = reader.createResolver(writer);
      } catch (err) {
        throw new UndecodableError(`schema id ${id} cannot be read as ${subjectOf(this.names.physical(topic))}: ${(err as Error).message}`);
      }
      this.resolvers.set(key, resolver);
    }
    let value: unknown;
    try {
      value = reader.fromBuffer(buf.subarray(5), resolver);
    } catch (err) {
      if (err instanceof LongRangeError) throw new UndecodableError(`Avro body of schema id ${id}: ${err.message}`);
      throw new UndecodableError(`Avro body does not match schema id ${id}: ${(err as Error).message}`);
    }
    return this.pseudonymizer && reader.name ? this.pseudonymizer.apply(reader.name, value) : value;
  }
}
