import { readFileSync } from 'node:fs';

/** Lua scripts live as .lua files beside this module and are loaded by name (BullMQ's way). */
export function lua(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
}

type Exec = { exec(): Promise<Array<[Error | null, unknown]> | null> };

/** Runs a pipeline and throws its first error. */
export async function execPipeline(p: unknown): Promise<unknown[]> {
  const results = await (p as Exec).exec();
  if (results === null) throw new Error('redis pipeline was discarded');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
