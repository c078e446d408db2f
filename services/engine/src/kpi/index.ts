export * from './buckets.ts';
export * from './increments.ts';
export * from './fields.ts';
export * from './readings.ts';
export * from './alerts.ts';
