// Where a worker's CPU went: self time of a V8 .cpuprofile (`node --cpu-prof`) by package.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

export interface ProfileShare {
  /** A package (`kafkajs`), a workspace (`@cxg/detector`), or V8's own `(garbage collector)`, `(idle)`, `(program)`. */
  where: string;
  percent: number;
}

function whereOf({ functionName, url }: ProfileNode['callFrame']): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ws = /\/services\/([^/]+)\//.exec(url);
  if (ws) return `@cxg/${ws[1]}`;
  return url.startsWith('node:') ? 'node' : url;
}

/** Self time by package over the whole profile, largest first, the first `top`. */
export function profileShares(file: string, top = 8): ProfileShare[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, whereOf(n.callFrame)]));
  const time = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    const w = byId.get(id) ?? '(unknown)';
    time.set(w, (time.get(w) ?? 0) + dt);
    total += dt;
  });
  return [...time]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, t]) => ({ where, percent: Math.round((1000 * t) / Math.max(1, total)) / 10 }));
}

/** The newest main-thread .cpuprofile (`CPU.<date>.<time>.<pid>.0.<seq>`) in `dir` written after `sinceMs`, or undefined. */
export function newestProfile(dir: string, sinceMs: number): string | undefined {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.isFile() && f.name.endsWith('.cpuprofile') && f.name.split('.')[4] === '0')
    .map((f) => ({ file: join(dir, f.name), mtime: statSync(join(dir, f.name)).mtimeMs }))
    .filter((f) => f.mtime >= sinceMs)
    .sort((a, b) => b.mtime - a.mtime);
  return files[0]?.file;
}
