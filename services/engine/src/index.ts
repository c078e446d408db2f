export * from './events.generated.ts';
export * from './topics.ts';
export * from './reject.ts';
export * from './intent.ts';
export * from './timestamp.ts';
export * from './validate.ts';
export * from './codepoint.ts';
export * from './order.ts';
export * from './dedupe.ts';
export * from './detect.ts';
// Explicit, so it wins over config's snake_case DEFAULT_DETECTION under `export *` (same name).
export { DEFAULT_DETECTION } from './detect.ts';
export * from './detect-run.ts';
export * from './reorder.ts';
export * from './replay.ts';
export * from './money/index.ts';
export * from './config/index.ts';
export * from './rating/index.ts';
