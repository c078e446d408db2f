// The provisioned Grafana boards as code: boards() builds them with @grafana/grafana-foundation-sdk,
// render() is the exact text committed under infra/grafana/dashboards/, and stale() compares the
// two (the drift check of `npm test` and of `npm run generate -w @cxg/grafana -- --check`).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { parse } from 'yaml';
import { finance } from './finance.ts';
import type { ContractsYaml } from './kpis.ts';
import { operations } from './operations.ts';
import { pipelineHealth } from './pipeline-health.ts';
import { lint } from './rules.ts';

export { lint, targetsOf, TEMPLATE_VARIABLES, type Target } from './rules.ts';
export { boundSteps, contractBounds } from './kpis.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where the generated boards are committed (docker-compose.yml mounts it into Grafana). */
export const OUT_DIR = join(REPO, 'infra/grafana/dashboards');
/** The command that writes the boards, for messages. */
export const GENERATE = 'npm run generate -w @cxg/grafana';

/** The contracts file the operations board draws thresholds from: `CX_CONFIG` or config/contracts.yaml. */
export function defaultConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(REPO, env.CX_CONFIG ?? 'config/contracts.yaml');
}

/** The three boards by file name, the operations board's thresholds from `configFile`. */
export function boards(configFile: string = defaultConfigFile()): Record<string, Dashboard> {
  const config = parse(readFileSync(configFile, 'utf8')) as ContractsYaml;
  return { 'operations.json': operations(config, configFile), 'pipeline-health.json': pipelineHealth(), 'finance.json': finance() };
}

/** A board's file text. */
export function render(dash: Dashboard): string {
  return JSON.stringify(dash, null, 2) + '\n';
}

/** Rule violations of the generated boards, and the committed files in `dir` that differ from them. */
export function check(generated: Record<string, Dashboard>, dir: string = OUT_DIR): { errors: string[]; stale: string[] } {
  const errors = Object.entries(generated).flatMap(([file, dash]) => lint(file, dash));
  const stale = Object.entries(generated)
    .filter(([file, dash]) => {
      const path = join(dir, file);
      return !existsSync(path) || readFileSync(path, 'utf8') !== render(dash);
    })
    .map(([file]) => join(dir, file));
  return { errors, stale };
}
