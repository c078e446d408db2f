/**
 * Who may import whom (import-rules.js, docs/architecture.md), over every source file of every
 * workspace: no @cxg package a workspace may not use, no relative path into another workspace,
 * nothing of @cxg/cli, and no I/O module in the engine's sources. eslint's no-restricted-imports
 * checks the same table on `npm run lint`; this test also sees dynamic import() and require(),
 * and needs nothing but the files, so `npm test` fails on a forbidden import too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM module without type declarations
import * as rulesModule from '../../../import-rules.js';

interface Rules {
  WORKSPACES: Record<string, { name: string; may: string[]; reaches?: string[] }>;
  IO_MODULES: string[];
  PURE: string;
  forbiddenPackages(dir: string): string[];
  moduleRegex(pkg: string): string;
}
const rules = rulesModule as Rules;

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIRS = Object.keys(rules.WORKSPACES).sort((a, b) => b.length - a.length);

/** The workspace folder (a key of WORKSPACES) holding repo-relative `path`, if any. */
function workspaceOf(path: string): string | undefined {
  const p = path.split(sep).join('/');
  return DIRS.find((d) => p === d || p.startsWith(`${d}/`));
}

const matches = (pkg: string, spec: string): boolean => new RegExp(rules.moduleRegex(pkg), 'u').test(spec);

/** Every rule `text` (the source of repo-relative `file`) breaks, as `file:line: why`. */
export function violationsOf(file: string, text: string): string[] {
  const dir = workspaceOf(file);
  if (dir === undefined) return [];
  const ws = rules.WORKSPACES[dir]!;
  const forbidden = rules.forbiddenPackages(dir);
  const pure = file.split(sep).join('/').startsWith(`${rules.PURE}/`);
  const out: string[] = [];
  const { importedFiles } = ts.preProcessFile(text, true, true);
  for (const { fileName: spec, pos } of importedFiles) {
    const at = `${file}:${text.slice(0, pos).split('\n').length}`;
    if (spec.startsWith('.')) {
      const target = relative(ROOT, resolve(ROOT, file, '..', spec));
      const other = workspaceOf(target);
      const reached = (ws.reaches ?? []).some((prefix) => target.split(sep).join('/').startsWith(prefix));
      if (other !== undefined && other !== dir && !reached) {
        out.push(`${at}: imports ${spec}, a path into ${other} (${dir} may import ${ws.may.join(', ') || 'no @cxg package'}, by package name)`);
      }
      continue;
    }
    const pkg = forbidden.find((p) => matches(p, spec));
    if (pkg !== undefined) out.push(`${at}: imports ${spec} (${dir} may not import ${pkg})`);
    const io = pure ? rules.IO_MODULES.find((m) => matches(m, spec)) : undefined;
    if (io !== undefined) out.push(`${at}: imports ${spec} (${rules.PURE} does no I/O)`);
  }
  return out;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(join(ROOT, d), { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mts|js|mjs)$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe('import rules', () => {
  it('hold in every source file of every workspace', () => {
    const files = Object.keys(rules.WORKSPACES).flatMap(sources);
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((f) => violationsOf(f, readFileSync(join(ROOT, f), 'utf8')))).toEqual([]);
  });

  it('catch each kind of forbidden import', () => {
    const src = [
      "import { readFileSync } from 'node:fs';",
      "import type { Redis } from 'ioredis';",
      "export * from '@cxg/platform';",
      "const chdb = await import('chdb');",
    ].join('\n');
    expect(violationsOf('services/engine/src/x.ts', src)).toEqual([
      'services/engine/src/x.ts:1: imports node:fs (services/engine/src does no I/O)',
      'services/engine/src/x.ts:2: imports ioredis (services/engine/src does no I/O)',
      'services/engine/src/x.ts:3: imports @cxg/platform (services/engine may not import @cxg/platform)',
      'services/engine/src/x.ts:4: imports chdb (services/engine/src does no I/O)',
    ]);
    // the engine's tests may read files
    expect(violationsOf('services/engine/test/x.test.ts', "import { readFileSync } from 'node:fs';")).toEqual([]);
    // a worker importing another worker, by name or by path
    expect(violationsOf('services/kpi/src/x.ts', "import { startDetector } from '@cxg/detector';\nimport '../../accruals/src/handler.ts';")).toEqual([
      'services/kpi/src/x.ts:1: imports @cxg/detector (services/kpi may not import @cxg/detector)',
      'services/kpi/src/x.ts:2: imports ../../accruals/src/handler.ts, a path into services/accruals (services/kpi may import @cxg/engine, @cxg/platform, by package name)',
    ]);
    // nothing imports the CLI, not even its own tests by name
    expect(violationsOf('services/ledger/src/x.ts', "import { x } from '@cxg/cli/src/main.ts';")).toEqual([
      'services/ledger/src/x.ts:1: imports @cxg/cli/src/main.ts (services/ledger may not import @cxg/cli)',
    ]);
    expect(violationsOf('test/x.test.ts', "import { register } from '../services/cli/src/commands/kpis.ts';")).toEqual([]);
    expect(violationsOf('test/x.test.ts', "import { describeFailure } from '../services/cli/src/errors.ts';")).toEqual([
      'test/x.test.ts:1: imports ../services/cli/src/errors.ts, a path into services/cli (test may import @cxg/engine, @cxg/platform, @cxg/ledger, @cxg/simulator, @cxg/detector, @cxg/kpi, @cxg/accruals, @cxg/stack, @cxg/grafana, by package name)',
    ]);
    // what a workspace may use passes
    expect(violationsOf('services/accruals/src/x.ts', "import { openLedger } from '@cxg/ledger';\nimport { tempLedger } from '@cxg/ledger/testing';")).toEqual([]);
  });
});
