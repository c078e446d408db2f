// The config corpus (docs/bad-input.md): every file in test/corpus/config/ is a broken contracts
// YAML whose `# expect: <fragment>` comment lines each name one issue it must report. An issue is
// printed as `FILE: PATH: MESSAGE (line L, col C)`; a fragment must be found in one printed issue
// starting right after `FILE: `, and every issue the file gets must carry a field path and a line.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, formatIssue, parseContractsConfig } from '../src/config/index.ts';

const DIR = fileURLToPath(new URL('./corpus/config/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
const rows: Array<{ file: string; issues: number; first: string }> = [];

function expectationsOf(text: string): string[] {
  return [...text.matchAll(/^# expect: (.+)$/gm)].map((m) => m[1]!.trimEnd());
}

describe('config corpus', () => {
  afterAll(() => {
    console.log(`config corpus: ${rows.length} files`);
    console.table(rows);
  });

  it('has files, each with at least one expectation', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(15);
    for (const f of FILES) expect(expectationsOf(readFileSync(join(DIR, f), 'utf8')), f).not.toEqual([]);
  });

  it('still reads anchors and aliases that stay small, and refuses an alias bomb fast', () => {
    const gate = ['timezone: UTC', 'gates: &g [{kpi: csat_top2, min: 0.75}]', 'contracts: []'].join('\n');
    expect(() => parseContractsConfig(gate, 'a.yaml')).toThrow(/gates: unknown key/);
    const ok = [
      'timezone: UTC',
      'contracts:',
      '  - {id: c-a, provider_id: a, valid_from: 2026-01-01, valid_to: 2026-12-31, gainshare: &gs {cost_per_contact_cents: 650, provider_share: 0.4, quality_gate: [{kpi: csat_top2, min: 0.75}]}}',
      '  - {id: c-b, provider_id: b, valid_from: 2026-01-01, valid_to: 2026-12-31, gainshare: *gs}',
    ].join('\n');
    expect(parseContractsConfig(ok, 'ok.yaml').contracts.map((c) => c.gainshare?.quality_gate.length)).toEqual([1, 1]);
    const t0 = performance.now();
    expect(() => parseContractsConfig(readFileSync(join(DIR, 'alias-bomb.yaml'), 'utf8'), 'bomb.yaml')).toThrow(/aliases expand to more than/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it.each(FILES)('%s is refused with the file, field and line of every issue', (name) => {
    const file = `corpus/config/${name}`;
    const text = readFileSync(join(DIR, name), 'utf8');
    let err: unknown;
    try {
      parseContractsConfig(text, file);
    } catch (e) {
      err = e;
    }
    expect(err, 'must throw a ConfigError').toBeInstanceOf(ConfigError);
    const { issues, message } = err as ConfigError;
    const printed = issues.map((i) => formatIssue(file, i));
    expect(message.split('\n')).toEqual(printed);
    rows.push({ file: name, issues: issues.length, first: printed[0]!.slice(file.length + 2, file.length + 122) });
    for (const issue of issues) {
      expect(issue.path, printed.join('\n')).not.toBe('');
      expect(issue.line, `no line in: ${formatIssue(file, issue)}`).not.toBeNull();
      expect(issue.line!).toBeGreaterThanOrEqual(1);
      expect(issue.line!).toBeLessThanOrEqual(text.split('\n').length);
    }
    for (const fragment of expectationsOf(text)) {
      expect(printed.some((p) => p.startsWith(`${file}: `) && p.slice(file.length + 2).includes(fragment)), `"${fragment}" not among:\n${printed.join('\n')}`).toBe(true);
    }
  });
});
