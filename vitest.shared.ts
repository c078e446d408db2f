// Shared vitest settings: every workspace writes a JSON report under .cxg/test-results so that
// .ci/run can print one `N passed, N failed` line over all of them.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

export const repoRoot = dirname(fileURLToPath(import.meta.url));

export function cxgVitest(name: string, test: NonNullable<ViteUserConfig['test']> = {}): ViteUserConfig {
  return defineConfig({
    test: {
      reporters: ['default', 'json'],
      outputFile: { json: join(repoRoot, '.cxg/test-results', `${name}.json`) },
      include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
      ...test,
    },
  });
}
