import type * as z from 'zod';
import { DEFAULT_DETECTION_CONFIG } from './types.ts';
import type { Contract, ContractsConfig, DetectionConfig } from './types.ts';
import { ConfigError } from './errors.ts';
import type { ConfigIssue } from './errors.ts';
import { contractKeysSchema, contractSchema, rootSchema } from './schema.ts';
import type { ContractKeys } from './schema.ts';
import { formatPath, readYaml } from './yaml-source.ts';
import type { Path, SourceDoc } from './yaml-source.ts';

function toIssues(doc: SourceDoc, prefix: Path, zodIssues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const iss of zodIssues) {
    const path = [...prefix, ...(iss.path as (string | number)[])];
    if (iss.code === 'unrecognized_keys') {
      // One issue per key, placed at the key itself, so each typo is named.
      for (const key of iss.keys) {
        const at = doc.locate([...path, key], true);
        out.push({ path: formatPath([...path, key]), message: iss.message, line: at?.line ?? null, col: at?.col ?? null });
      }
      continue;
    }
    const at = doc.locate(path);
    out.push({ path: formatPath(path), message: iss.message, line: at?.line ?? null, col: at?.col ?? null });
  }
  return out;
}

function issueAt(doc: SourceDoc, path: Path, message: string): ConfigIssue {
  const at = doc.locate(path);
  return { path: formatPath(path), message, line: at?.line ?? null, col: at?.col ?? null };
}

const overlap = (a: ContractKeys, b: ContractKeys): { from: string; to: string } | null => {
  const from = a.valid_from > b.valid_from ? a.valid_from : b.valid_from;
  const to = a.valid_to < b.valid_to ? a.valid_to : b.valid_to;
  return from <= to ? { from, to } : null;
};

/**
 * Rules across contracts (docs/contracts.md, "Rules across contracts"). Validity is compared on the dates as written,
 * whatever the contracts' zones: a day is "common" when both contracts' ranges list it, even if
 * the two local days never overlap in time (and contracts on consecutive dates never overlap,
 * even if one zone's day ends after the other's begins).
 */
function crossContractIssues(doc: SourceDoc, contracts: readonly { index: number; c: ContractKeys }[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (let j = 0; j < contracts.length; j++) {
    const { index: jx, c: b } = contracts[j]!;
    for (let i = 0; i < j; i++) {
      const { index: ix, c: a } = contracts[i]!;
      const other = `contracts[${ix}] (${a.id})`;
      if (a.id === b.id) out.push(issueAt(doc, ['contracts', jx, 'id'], `duplicate contract id "${b.id}" (also ${other})`));
      const common = overlap(a, b);
      if (!common) continue;
      if (a.provider_id === b.provider_id) {
        out.push(
          issueAt(
            doc,
            ['contracts', jx, 'valid_from'],
            `validity ${b.valid_from}..${b.valid_to} overlaps ${other} of the same provider ${b.provider_id} on ${common.from}..${common.to}`,
          ),
        );
      }
      // Across providers too: a shared family would pay two providers for the same avoided switches.
      const shared = [...new Set(b.families)].filter((f) => a.families.includes(f));
      if (shared.length > 0) {
        out.push(
          issueAt(
            doc,
            ['contracts', jx, 'scope', 'intent_families'],
            `intent famil${shared.length > 1 ? 'ies' : 'y'} ${shared.map((f) => `"${f}"`).join(', ')} also in the scope of ${other}, both valid on ${common.from}..${common.to}`,
          ),
        );
      }
    }
  }
  return out;
}

/**
 * Parses and validates the contracts YAML (docs/contracts.md). Pure: the caller reads the file.
 * Throws a ConfigError listing every issue found, each naming `file`, the field path and,
 * where known, the line and column.
 */
export function parseContractsConfig(text: string, file: string): ContractsConfig {
  const { doc, issues } = readYaml(text);
  if (issues.length > 0) throw new ConfigError(file, issues);

  if (doc.value === null || typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    throw new ConfigError(file, [issueAt(doc, [], 'must be a mapping with at least a `contracts` list')]);
  }

  const root = rootSchema.safeParse(doc.value, { reportInput: true });
  if (!root.success) issues.push(...toIssues(doc, [], root.error.issues));

  const raw = doc.value as Record<string, unknown>;
  // Without a valid top-level zone the file is rejected anyway; the contracts are still checked
  // (with a stand-in zone that never leaves this function) so that every issue is reported at once.
  const timezone = root.success ? root.data.timezone : 'UTC';
  const rawContracts = Array.isArray(raw['contracts']) ? (raw['contracts'] as unknown[]) : [];

  const schema = contractSchema(timezone, root.success ? (root.data.ledger_start ?? null) : null);
  const parsed: { index: number; c: Contract }[] = [];
  const keys: { index: number; c: ContractKeys }[] = [];
  rawContracts.forEach((rc, index) => {
    const r = schema.safeParse(rc, { reportInput: true });
    if (r.success) parsed.push({ index, c: r.data });
    else issues.push(...toIssues(doc, ['contracts', index], r.error.issues));
    const k = contractKeysSchema.safeParse(rc);
    if (k.success) keys.push({ index, c: k.data });
  });
  issues.push(...crossContractIssues(doc, keys));

  if (issues.length > 0 || !root.success) {
    // File order reads best; issues without a position keep their place at the end.
    const order = (i: ConfigIssue): number => (i.line === null ? Number.MAX_SAFE_INTEGER : i.line * 10_000 + (i.col ?? 0));
    throw new ConfigError(file, [...issues].sort((a, b) => order(a) - order(b)));
  }

  const detection: DetectionConfig = root.data.detection ?? {
    ...DEFAULT_DETECTION_CONFIG,
    switch_outcomes: [...DEFAULT_DETECTION_CONFIG.switch_outcomes],
    switch_to_channels: [...DEFAULT_DETECTION_CONFIG.switch_to_channels],
  };
  return {
    file,
    text,
    timezone,
    detection,
    service_level_seconds: root.data.service_level_seconds,
    contracts: parsed.map((p) => p.c),
  };
}
