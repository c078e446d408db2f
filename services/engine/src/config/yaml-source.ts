/**
 * YAML → plain values that keep each number's source text: YAML reads `0.40` as a float,
 * and money must see the decimal the author wrote, not the double nearest to it.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { ConfigIssue } from './errors.ts';

/** A YAML number as written (`0.40`, `1e3`), with the parser's value for messages only. */
export class NumLit {
  constructor(
    readonly source: string,
    readonly value: number,
  ) {}
}

export type Path = readonly (string | number)[];

export interface SourceDoc {
  value: unknown;
  /** position of the node at `path`, or of its deepest existing ancestor */
  locate(path: Path, keyOf?: boolean): { line: number; col: number } | null;
}

export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out === '' ? '(root)' : out;
}

function keyString(key: unknown): string {
  if (isScalar(key)) return key.source ?? String(key.value);
  return String(key);
}

/**
 * Nodes that aliases may add to the plain value in all. Each alias is expanded where it stands, so
 * nested anchors multiply (ten aliases of ten aliases of …, "billion laughs"): without a bound a
 * file of a few hundred bytes would take minutes and gigabytes to read. A real contracts file
 * never comes close.
 */
export const MAX_ALIAS_NODES = 10_000;

class AliasBudgetExceeded extends Error {
  constructor(readonly at: number | undefined) {
    super(`aliases expand to more than ${MAX_ALIAS_NODES} nodes`);
  }
}

function toPlain(node: unknown, doc: Document, budget: { left: number; inAlias: number | undefined }): unknown {
  if (node === null || node === undefined) return null;
  if (budget.inAlias !== undefined && --budget.left < 0) throw new AliasBudgetExceeded(budget.inAlias);
  if (isAlias(node)) {
    const outer = budget.inAlias;
    budget.inAlias ??= node.range?.[0];
    try {
      return toPlain(node.resolve(doc), doc, budget);
    } finally {
      budget.inAlias = outer;
    }
  }
  if (isScalar(node)) {
    if (typeof node.value === 'number') return new NumLit(node.source ?? String(node.value), node.value);
    return node.value;
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      // defineProperty: a `__proto__` key must stay a plain (and thus unknown) key
      Object.defineProperty(out, keyString(pair.key), {
        value: toPlain(pair.value, doc, budget),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item) => toPlain(item, doc, budget));
  return null;
}

/** Parses YAML text; syntax errors come back as issues (with positions). */
export function readYaml(text: string): { doc: SourceDoc; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number | undefined): { line: number; col: number } | null =>
    offset === undefined ? null : lineCounter.linePos(offset);

  const issues: ConfigIssue[] = doc.errors.map((e) => {
    const p = pos(e.pos[0]);
    return { path: '(yaml)', message: e.message.split('\n')[0] ?? e.message, line: p?.line ?? null, col: p?.col ?? null };
  });

  const locate = (path: Path, keyOf = false): { line: number; col: number } | null => {
    let node: unknown = doc.contents;
    let found: unknown = node;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isAlias(node)) node = node.resolve(doc);
      let next: unknown = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyString(p.key) === String(seg));
        if (pair) next = keyOf && i === path.length - 1 ? pair.key : (pair.value ?? pair.key);
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      }
      if (next === undefined || next === null) break;
      node = next;
      found = next;
    }
    const range = (found as YamlNode | null)?.range;
    // An empty document (nothing but comments) has no node: its issues are at the start of the file.
    return pos(range?.[0]) ?? (path.length === 0 ? { line: 1, col: 1 } : null);
  };

  let value: unknown;
  try {
    value = toPlain(doc.contents, doc, { left: MAX_ALIAS_NODES, inAlias: undefined });
  } catch (err) {
    if (!(err instanceof AliasBudgetExceeded)) throw err;
    const p = pos(err.at);
    issues.push({ path: '(yaml)', message: err.message, line: p?.line ?? 1, col: p?.col ?? 1 });
    value = null;
  }
  return { doc: { value, locate }, issues };
}
