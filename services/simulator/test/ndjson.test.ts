import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate, toNdjsonLine, writeNdjson } from '../src/index.ts';
import { options } from './helpers.ts';

describe('writeNdjson', () => {
  it('writes one {topic, key, value} object per line and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cxg-sim-'));
    const path = join(dir, 'out.ndjson');
    const run = simulate(options({ customers: 400, days: 2, badRatio: 0.05 }));
    const result = await writeNdjson(run, path, { progress: run });
    const text = await readFile(path, 'utf8');
    const fileLines = text.split('\n');
    expect(fileLines.pop()).toBe('');
    expect(fileLines).toEqual([...run].map(toNdjsonLine));
    expect(result).toEqual({ records: fileLines.length, bytes: Buffer.byteLength(text) });
    for (const line of fileLines) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(['topic', 'key', 'value']);
      expect(typeof parsed.key).toBe('string');
    }
    // Written through a temporary file that is renamed at the end.
    expect(await readdir(dir)).toEqual(['out.ndjson']);
  });

  it('leaves no file behind when the records fail midway', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cxg-sim-'));
    const records = (function* () {
      yield* [...simulate(options({ customers: 50, days: 1 }))].slice(0, 5);
      throw new Error('generator failed');
    })();
    await expect(writeNdjson(records, join(dir, 'x.ndjson'))).rejects.toThrow('generator failed');
    expect(await readdir(dir)).toEqual([]);
  });

  it('stops and removes the partial file when aborted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cxg-sim-'));
    const controller = new AbortController();
    controller.abort(new Error('interrupted'));
    await expect(writeNdjson(simulate(options({ customers: 50, days: 1 })), join(dir, 'x.ndjson'), { signal: controller.signal })).rejects.toThrow('interrupted');
    expect(await readdir(dir)).toEqual([]);
  });

  it('names the requested path when the file cannot be written', async () => {
    await expect(writeNdjson([], '/nonexistent-dir/x.ndjson')).rejects.toThrow('cannot write /nonexistent-dir/x.ndjson: ENOENT');
  });

  it('reports progress as the share of the simulated period, 1 when done', () => {
    const run = simulate(options({ customers: 1000, days: 2 }));
    expect(run.fraction()).toBe(0);
    const it = run[Symbol.iterator]();
    // Past the base load (all at the start) into the first day.
    for (let i = 0; i < 1100; i++) it.next();
    expect(run.fraction()).toBeGreaterThan(0);
    expect(run.fraction()).toBeLessThan(1);
    while (!it.next().done);
    expect(run.fraction()).toBe(1);
  });

  it('writes timestamps as epoch-millisecond numbers', () => {
    const [first] = simulate(options({ customers: 10, days: 1 }));
    expect(first && toNdjsonLine(first)).toMatch(/"occurred_at":\d{13},/);
  });
});
