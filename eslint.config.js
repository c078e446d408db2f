// One flat config for every workspace; typed linting stays off to keep `npm run lint` fast on 2 cores.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { IO_MODULES, PURE, WORKSPACES, forbiddenPackages, moduleRegex } from './import-rules.js';

// Who may import whom (import-rules.js, docs/architecture.md): per workspace, every @cxg package
// it may not use; the engine's sources also no I/O module. (Dynamic import() and relative paths
// into another workspace are checked by services/engine/test/imports.test.ts.)
const restricted = (dir, io) => [
  ...forbiddenPackages(dir).map((pkg) => ({
    regex: moduleRegex(pkg),
    message: `${dir} may not import ${pkg} (import-rules.js; see docs/architecture.md).`,
  })),
  ...(io
    ? IO_MODULES.map((m) => ({
        regex: moduleRegex(m),
        message: `${PURE} does no I/O: no ${m} (import-rules.js; see docs/architecture.md).`,
      }))
    : []),
];
const importRules = [
  ...Object.keys(WORKSPACES).map((dir) => ({
    files: [`${dir}/**/*.{ts,js,mjs}`],
    rules: { 'no-restricted-imports': ['error', { patterns: restricted(dir, false) }] },
  })),
  {
    files: [`${PURE}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: restricted('services/engine', true) }] },
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.cxg/**', '**/dist/**', '.turbo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...importRules,
);
