// Writes the boards to infra/grafana/dashboards/ (or, with --check, only compares them):
//   npm run generate -w @cxg/grafana                      write operations.json, pipeline-health.json, finance.json
//   npm run generate -w @cxg/grafana -- --check           exit 1 if a committed board differs or breaks a rule
//   npm run generate -w @cxg/grafana -- --config FILE     draw the thresholds from FILE (default CX_CONFIG or config/contracts.yaml)
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GENERATE, OUT_DIR, boards, check, defaultConfigFile, render, targetsOf } from './index.ts';

const args = process.argv.slice(2);
const configAt = args.indexOf('--config');
const configFile = configAt >= 0 ? resolve(process.env.INIT_CWD ?? process.cwd(), args[configAt + 1] ?? '') : defaultConfigFile();
const generated = boards(configFile);
const { errors, stale } = check(generated);
for (const e of errors) console.error(e);
if (args.includes('--check')) {
  for (const path of stale) console.error(`${path}: differs from the generated board; run ${GENERATE}`);
  if (errors.length === 0 && stale.length === 0) console.log('dashboards are up to date and keep the rules');
} else if (errors.length === 0) {
  for (const [file, dash] of Object.entries(generated)) {
    writeFileSync(join(OUT_DIR, file), render(dash));
    console.log(`wrote ${join(OUT_DIR, file)} (${targetsOf(dash).length} queries)`);
  }
}
process.exitCode = errors.length > 0 || (args.includes('--check') && stale.length > 0) ? 1 : 0;
