// Who may import whom (docs/architecture.md, "Import rules"). One table, two checks:
// eslint.config.js turns it into no-restricted-imports per workspace (`npm run lint` fails), and
// services/engine/test/imports.test.ts scans every source file against it (`npm test` fails),
// dynamic import() and relative paths into another workspace included.

/**
 * Each workspace (its folder): its package name and the @cxg packages it may import, subpaths
 * (`@cxg/platform/testing`) included. Any other @cxg package is forbidden, and so is a relative
 * path into another workspace, except below a prefix in `reaches`. Nothing may import @cxg/cli;
 * the integration tests alone reach into it, to drive a command in-process (test/kpi.test.ts
 * registers `cxg kpis`), and into the kpi worker's Redis test helpers.
 *
 * @type {Record<string, { name: string, may: string[], reaches?: string[] }>}
 */
export const WORKSPACES = {
  'services/engine': { name: '@cxg/engine', may: [] },
  'services/platform': { name: '@cxg/platform', may: ['@cxg/engine'] },
  'services/ledger': { name: '@cxg/ledger', may: ['@cxg/engine', '@cxg/platform'] },
  'services/simulator': { name: '@cxg/simulator', may: ['@cxg/engine'] },
  'services/detector': { name: '@cxg/detector', may: ['@cxg/engine', '@cxg/platform'] },
  'services/kpi': { name: '@cxg/kpi', may: ['@cxg/engine', '@cxg/platform'] },
  'services/accruals': { name: '@cxg/accruals', may: ['@cxg/engine', '@cxg/platform', '@cxg/ledger'] },
  'tools/stack': { name: '@cxg/stack', may: ['@cxg/platform'] },
  'infra/grafana': { name: '@cxg/grafana', may: [] },
  'services/cli': {
    name: '@cxg/cli',
    may: ['@cxg/engine', '@cxg/platform', '@cxg/ledger', '@cxg/simulator', '@cxg/detector', '@cxg/kpi', '@cxg/accruals', '@cxg/stack'],
  },
  test: {
    name: '@cxg/integration',
    may: ['@cxg/engine', '@cxg/platform', '@cxg/ledger', '@cxg/simulator', '@cxg/detector', '@cxg/kpi', '@cxg/accruals', '@cxg/stack', '@cxg/grafana'],
    reaches: ['services/cli/src/commands/', 'services/kpi/test/'],
  },
};

/** The engine's sources do no I/O: none of these (with or without `node:`), and no @cxg package at all. */
export const IO_MODULES = [
  'fs',
  'net',
  'http',
  'https',
  'http2',
  'tls',
  'dgram',
  'dns',
  'child_process',
  'worker_threads',
  'cluster',
  'kafkajs',
  '@kafkajs/confluent-schema-registry',
  'ioredis',
  '@clickhouse/client',
  'chdb',
  'pino',
  'prom-client',
];

/** Where the engine's I/O-free sources are. */
export const PURE = 'services/engine/src';

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A regex (source) matching an import of `pkg` or a subpath of it; `node:` optional for builtins. */
export const moduleRegex = (pkg) => `^${pkg.startsWith('@') ? '' : '(node:)?'}${escape(pkg)}(/.*)?$`;

/** The @cxg packages workspace `dir` may not import. */
export function forbiddenPackages(dir) {
  const ws = WORKSPACES[dir];
  return Object.values(WORKSPACES)
    .map((w) => w.name)
    .filter((name) => name !== ws.name && !ws.may.includes(name));
}
