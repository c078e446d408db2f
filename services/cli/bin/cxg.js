#!/usr/bin/env node
// The workspaces ship TypeScript sources (Turborepo "just-in-time" packages); tsx compiles on load,
// so `npx cxg` works right after `npm ci` without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
