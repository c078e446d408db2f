// Bounded fuzzing of the Kafka decode path (docs/bad-input.md): Serde.decode over random bytes and
// over valid contact and journey frames mutated byte by byte, with a fake registry that knows the
// writer ids 1 (contacts) and 3 (web) and answers 404 for any other. Whatever the bytes, decode must
// resolve with a value or reject with an UndecodableError (the DLQ reason `undecodable`), never
// anything else; and a value it resolves with must go through validateEvent without a throw.
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { REJECT_REASONS, TOPICS, validateEvent, type InputTopic } from '@cxg/engine';
import { loadSchema, Serde, UndecodableError } from '../src/serde.ts';

const WRITERS = new Map<number, avro.Type>([
  [1, avro.Type.forSchema(loadSchema(TOPICS.contacts))],
  [3, avro.Type.forSchema(loadSchema(TOPICS.web))],
]);
const registry = {
  getSchema: async (id: number) => {
    const type = WRITERS.get(id);
    if (!type) throw Object.assign(new Error(`schema ${id} not found`), { status: 404 });
    return type;
  },
} as unknown as SchemaRegistry;
const serde = new Serde(registry, 'http://registry.invalid');
const TOPIC_IDS: Array<[InputTopic, number]> = [
  [TOPICS.contacts, 1],
  [TOPICS.web, 3],
];
const NOW = Date.UTC(2026, 10, 3);
/** Runs per property; the file stays well under 30 s. */
const RUNS = Number(process.env.CX_FUZZ_RUNS ?? 10_000);
const counts = { runs: 0, decoded: 0, undecodable: 0 };

function frame(id: number, body: Buffer): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(id, 1);
  body.copy(out, 5);
  return out;
}

const ts = fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 });
const str = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 300 }));
const contactValue = fc.record({
  event_id: str, contact_id: str, customer_id: str, provider_id: str, agent_id: fc.option(str),
  channel: fc.constantFrom('PHONE', 'CHAT', 'EMAIL', 'MESSAGING'), queue: str, intent: str,
  started_at: ts, answered_at: fc.option(ts), ended_at: ts,
  outcome: fc.constantFrom('RESOLVED', 'UNRESOLVED', 'TRANSFERRED', 'ABANDONED'),
  csat: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), sale_cents: ts,
});
const journeyValue = fc.record({
  event_id: str, session_id: str, customer_id: fc.option(str), journey: str, started_at: ts, ended_at: ts,
  outcome: fc.constantFrom('COMPLETED', 'ABANDONED', 'FAILED'), last_step: str, error_code: fc.option(str),
});

type Mutation = { kind: 'flip' | 'set' | 'cut' | 'insert' | 'delete' | 'id'; at: number; byte: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'set', 'cut', 'insert', 'delete', 'id'),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
});

function mutate(buf: Buffer, ms: readonly Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'flip' && b.length > 0) b[at] = b[at]! ^ (1 << (m.byte % 8));
    else if (m.kind === 'set' && b.length > 0) b[at] = m.byte;
    else if (m.kind === 'cut') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else if (m.kind === 'id' && b.length >= 5) b.writeUInt32BE([1, 3, 2, 0, 0xffffffff][m.byte % 5]!, 1);
  }
  return b;
}

/** The property: decode resolves or throws UndecodableError, and what it resolves with validates without a throw. */
async function decodesOrRefuses(topic: InputTopic, bytes: Buffer | null): Promise<void> {
  counts.runs++;
  let value: unknown;
  try {
    value = await serde.decode(topic, bytes);
  } catch (err) {
    if (!(err instanceof UndecodableError)) throw new Error(`decode threw ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err });
    counts.undecodable++;
    return;
  }
  counts.decoded++;
  const verdict = validateEvent(topic, value, NOW);
  if (!verdict.ok) expect(REJECT_REASONS).toContain(verdict.reason);
}

describe('Serde.decode under fuzzing', () => {
  afterAll(() => {
    console.log(`serde fuzz: ${counts.runs} frames decoded (${counts.decoded} values, ${counts.undecodable} UndecodableError)`);
  });

  it('random bytes, with and without a valid header, on both topics', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TOPIC_IDS),
        fc.option(fc.constantFrom(0, 1, 3, 0x7fffffff), { nil: undefined }),
        fc.uint8Array({ maxLength: 200 }),
        async ([topic], id, bytes) => {
          const buf = id === undefined ? Buffer.from(bytes) : frame(id, Buffer.from(bytes));
          await decodesOrRefuses(topic, buf);
        },
      ),
      { numRuns: RUNS },
    );
    await decodesOrRefuses(TOPICS.contacts, null);
    await decodesOrRefuses(TOPICS.contacts, Buffer.alloc(0));
  }, 30_000);

  it('valid frames of either topic, mutated, read as either topic', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          contactValue.map((v) => frame(1, serde.reader(TOPICS.contacts).toBuffer(v))),
          journeyValue.map((v) => frame(3, serde.reader(TOPICS.web).toBuffer(v))),
        ),
        fc.array(mutation, { maxLength: 4 }),
        fc.constantFrom(...TOPIC_IDS),
        async (valid, ms, [topic]) => {
          await decodesOrRefuses(topic, mutate(valid, ms));
        },
      ),
      { numRuns: RUNS },
    );
  }, 30_000);

  it('an unmutated frame decodes to the value written', async () => {
    await fc.assert(
      fc.asyncProperty(contactValue, async (v) => {
        expect({ ...(await serde.decode(TOPICS.contacts, frame(1, serde.reader(TOPICS.contacts).toBuffer(v)))) as object }).toEqual(v);
      }),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  }, 30_000);
});
