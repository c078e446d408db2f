// Bounded fuzzing of the replay reader (docs/bad-input.md): readReplayFiles over files of valid,
// mutated and random lines (random bytes, CR and CRLF line ends, JSON whitespace, a byte order
// mark), then the engine's replay over what it read. Neither may throw; every non-blank physical
// line (split at LF, docs/replay.md) must come back exactly once, as a record with its line
// number or as an `undecodable` reject with its line number, as an independent reading says.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { REJECT_REASONS, replay } from '@cxg/engine';
import { readReplayFiles, UnreadableInputError } from '../src/replay/ndjson.ts';

const RUNS = Number(process.env.CX_FUZZ_RUNS ?? 1500);
const NOW = Date.UTC(2026, 10, 10);
const dir = mkdtempSync(join(tmpdir(), 'cxg-ndjson-fuzz-'));
const counts = { files: 0, lines: 0, records: 0, undecodable: 0, rejected: 0 };

const CONTACT = {
  event_id: 'e1', contact_id: 'c1', customer_id: 'u1', provider_id: 'prov-a', agent_id: null, channel: 'PHONE', queue: 'q',
  intent: 'billing.x', started_at: '2026-11-03T08:00:00Z', answered_at: '2026-11-03T08:00:20Z', ended_at: '2026-11-03T08:05:00Z',
  outcome: 'RESOLVED', csat: 4, sale_cents: 0,
};
const JOURNEY = {
  event_id: 'w1', session_id: 's1', customer_id: 'u1', journey: 'billing.y', started_at: 1_793_692_800_000, ended_at: 1_793_692_860_000,
  outcome: 'FAILED', last_step: 'x', error_code: null,
};

const validLine = fc
  .tuple(fc.constantFrom(['cx.contacts.v1', CONTACT] as const, ['cx.web.v1', JOURNEY] as const), fc.string({ maxLength: 6 }), fc.integer({ min: 0, max: 600 }))
  .map(([[topic, base], id, minute]) => JSON.stringify({ topic, value: { ...base, event_id: `${base.event_id}-${id}`, contact_id: `c-${id}`, started_at: typeof base.started_at === 'number' ? base.started_at + minute * 60_000 : base.started_at } }));
/** JSON whitespace (space, tab, CR) between tokens of a valid line: still one valid JSON text. */
const spacedLine = fc.tuple(validLine, fc.constantFrom(' ', '\t', '\r', ' \r\t')).map(([l, ws]) => l.replaceAll(',"', `,${ws}"`).replace(':{', `:${ws}{`));
const mutatedLine = fc
  .tuple(validLine, fc.nat(), fc.nat(), fc.string({ unit: 'binary', maxLength: 3 }))
  .map(([l, a, b, s]) => l.slice(0, a % (l.length + 1)) + s + l.slice(a % (l.length + 1) + (b % 4)));
const line = fc.oneof(
  { weight: 4, arbitrary: validLine },
  { weight: 2, arbitrary: spacedLine },
  { weight: 3, arbitrary: mutatedLine },
  { weight: 1, arbitrary: fc.json().map((j) => j.replaceAll('\n', '')) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify({ topic: 'cx.contacts.v1', value: v })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', '\r', '{}', 'null', '[]', '{"topic":1,"value":{}}', '{"topic":"x","value":null}', '\u2028', '\uFEFF{}') },
);
const file = fc.record({
  lines: fc.array(line, { maxLength: 12 }),
  ends: fc.array(fc.constantFrom('\n', '\r\n'), { minLength: 12, maxLength: 12 }),
  finalNewline: fc.boolean(),
  bom: fc.boolean(),
  /** Invalid UTF-8 somewhere: it reads as U+FFFD. */
  garbage: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 }).map((a) => a.map((b) => b | 0x80))), { nil: undefined }),
});

type Expected = { records: Array<{ line: number; topic: string; value: unknown }>; undecodable: number[] };

/** What the reader must give, read independently: lines split at LF, one CR before it dropped, BOM stripped, blank lines skipped. */
function oracle(text: string, firstLine: number): Expected {
  const out: Expected = { records: [], undecodable: [] };
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const physical = body.split('\n');
  if (physical.at(-1) === '') physical.pop();
  physical.forEach((raw, i) => {
    const l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const n = firstLine + i;
    if (l.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(l);
    } catch {
      out.undecodable.push(n);
      return;
    }
    const o = parsed as { topic?: unknown; value?: unknown };
    if (typeof o === 'object' && o !== null && typeof o.topic === 'string' && typeof o.value === 'object' && o.value !== null) out.records.push({ line: n, topic: o.topic, value: o.value });
    else out.undecodable.push(n);
  });
  return out;
}

function bytesOf(f: { lines: string[]; ends: string[]; finalNewline: boolean; bom: boolean; garbage?: [number, Uint8Array] }): Buffer {
  let text = f.lines.map((l, i) => l + (i < f.lines.length - 1 || f.finalNewline ? f.ends[i]! : '')).join('');
  if (f.bom) text = `\uFEFF${text}`;
  let buf = Buffer.from(text, 'utf8');
  if (f.garbage) {
    const at = f.garbage[0] % (buf.length + 1);
    buf = Buffer.concat([buf.subarray(0, at), Buffer.from(f.garbage[1]), buf.subarray(at)]);
  }
  return buf;
}

describe('readReplayFiles under fuzzing', () => {
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    console.log(`ndjson fuzz: ${counts.files} files, ${counts.lines} physical lines: ${counts.records} records, ${counts.undecodable} undecodable, ${counts.rejected} rejected by replay`);
  });

  it('reads every non-blank physical line exactly once, with its line number, and replay never throws', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(file, { minLength: 1, maxLength: 3 }), async (files) => {
        const paths: string[] = [];
        const expected: Expected = { records: [], undecodable: [] };
        let firstLine = 1;
        for (const f of files) {
          const path = join(dir, `f${n++}.ndjson`);
          const buf = bytesOf(f);
          writeFileSync(path, buf);
          paths.push(path);
          // Line numbers continue across files: a file's lines are its LF-terminated pieces, plus an unterminated last one.
          const text = buf.toString('utf8');
          const e = oracle(text, firstLine);
          expected.records.push(...e.records);
          expected.undecodable.push(...e.undecodable);
          const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
          firstLine += body.split('\n').length - (body.endsWith('\n') || body === '' ? 1 : 0);
          counts.files++;
        }
        counts.lines += firstLine - 1;
        const got = await readReplayFiles(paths);
        expect(got.undecodable.map((u) => u.line)).toEqual(expected.undecodable);
        expect(got.undecodable.every((u) => u.reason === 'undecodable' && u.event_id === null)).toBe(true);
        expect(got.records).toEqual(expected.records);
        counts.records += got.records.length;
        counts.undecodable += got.undecodable.length;
        const result = replay(got.records, { nowMs: NOW });
        for (const r of result.rejected) expect(REJECT_REASONS).toContain(r.reason);
        expect(result.rejected.length + result.accepted.length + result.duplicates).toBe(got.records.length);
        counts.rejected += result.rejected.length;
      }),
      { numRuns: RUNS },
    );
  }, 30_000);

  it('calls a missing file an UnreadableInputError', async () => {
    await expect(readReplayFiles([join(dir, 'missing.ndjson')])).rejects.toBeInstanceOf(UnreadableInputError);
    await expect(readReplayFiles([dir])).rejects.toBeInstanceOf(UnreadableInputError);
  });
});
