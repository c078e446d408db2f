export { parseContractsConfig } from './parse.ts';
export { ConfigError, formatIssue } from './errors.ts';
export type { ConfigIssue } from './errors.ts';
export { parseDuration, formatDuration } from './duration.ts';
export { CONTRACT_ID_RE } from './schema.ts';
export * from './types.ts';
