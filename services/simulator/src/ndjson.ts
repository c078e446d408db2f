// NDJSON as docs/replay.md describes it: one `{"topic","key","value"}` object per line. `key` is optional for
// readers (replay ignores it); it carries the Kafka key so a file can be produced to topics as is.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { progressBar } from './progress.ts';
import type { SimRecord } from './record.ts';
import type { ProgressSource } from './simulate.ts';

export function toNdjsonLine(record: SimRecord): string {
  return JSON.stringify({ topic: record.topic, key: record.key, value: record.value });
}

export interface WriteOptions {
  /** Draws a bar on stderr when it is a TTY. */
  readonly progress?: ProgressSource | false;
  /** Aborting stops the write, removes the partial output and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface WriteResult {
  readonly records: number;
  readonly bytes: number;
}

const CHUNK_CHARS = 1 << 20;

/**
 * Streams records to `path` with backpressure. Writes to `path.tmp` and renames at the end, so an
 * interrupted run never leaves a truncated file that looks complete.
 */
export async function writeNdjson(records: Iterable<SimRecord>, path: string, options: WriteOptions = {}): Promise<WriteResult> {
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp, { encoding: 'utf8' });
  const bar = progressBar(options.progress, 'simulate');
  let count = 0;
  let bytes = 0;
  let chunk = '';
  const flush = async (): Promise<void> => {
    bytes += Buffer.byteLength(chunk);
    const ok = out.write(chunk);
    chunk = '';
    if (!ok) await once(out, 'drain');
  };
  try {
    await once(out, 'open');
    for (const record of records) {
      options.signal?.throwIfAborted();
      chunk += toNdjsonLine(record) + '\n';
      bar.tick(++count);
      if (chunk.length >= CHUNK_CHARS) await flush();
    }
    if (chunk.length > 0) await flush();
    out.end();
    await once(out, 'finish');
    await rename(tmp, path);
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    // File-system errors name the temporary file; report the path the caller asked for.
    const code = (err as NodeJS.ErrnoException).syscall === undefined ? undefined : (err as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new Error(`cannot write ${path}: ${code}`, { cause: err });
    throw err;
  } finally {
    bar.stop();
  }
  return { records: count, bytes };
}
