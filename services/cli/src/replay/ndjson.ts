import { createReadStream, statSync } from 'node:fs';
import type { ReplayRecord, ReplayRejection } from '@cxg/engine';

/** A file that cannot be read at all: `cxg replay` exits 2 with this message. */
export class UnreadableInputError extends Error {
  override readonly name = 'UnreadableInputError';
}

export interface ReadResult {
  records: ReplayRecord[];
  /** Lines that are not a JSON object with a string `topic` and an object `value`. */
  undecodable: ReplayRejection[];
}

/**
 * The lines of one file: split at LF only, one CR before the LF dropped (CRLF files), a UTF-8 byte
 * order mark at the start dropped. A lone CR is not a line end: JSON allows it as whitespace
 * inside a record, and node's readline, which would split there, made such a record two
 * undecodable lines and shifted every later line number (found by test/ndjson-fuzz.test.ts).
 */
async function* physicalLines(file: string): AsyncGenerator<string> {
  let rest = '';
  let first = true;
  for await (const chunk of createReadStream(file, { encoding: 'utf8' }) as AsyncIterable<string>) {
    let text = rest + chunk;
    if (first) {
      if (text.length === 0) continue;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/**
 * Reads NDJSON replay files (docs/replay.md) in the order given. Line numbers are physical and
 * 1-based across all files, blank lines included (and skipped).
 */
export async function readReplayFiles(files: readonly string[], onBytes: (read: number, total: number) => void = () => {}): Promise<ReadResult> {
  const sizes = files.map((f) => {
    try {
      return statSync(f).size;
    } catch (err) {
      throw new UnreadableInputError(`${f}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  const records: ReplayRecord[] = [];
  const undecodable: ReplayRejection[] = [];
  let line = 0;
  let read = 0;
  for (const file of files) {
    try {
      for await (const text of physicalLines(file)) {
        line++;
        read += Buffer.byteLength(text) + 1;
        if (line % 4096 === 0) onBytes(read, total);
        if (text.trim() === '') continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          undecodable.push({ line, event_id: null, reason: 'undecodable' });
          continue;
        }
        const obj = parsed as { topic?: unknown; value?: unknown };
        if (typeof obj !== 'object' || obj === null || typeof obj.topic !== 'string' || typeof obj.value !== 'object' || obj.value === null) {
          undecodable.push({ line, event_id: null, reason: 'undecodable' });
          continue;
        }
        records.push({ line, topic: obj.topic, value: obj.value });
      }
    } catch (err) {
      throw new UnreadableInputError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  onBytes(total, total);
  return { records, undecodable };
}
