export * from './types.ts';
export * from './calendar.ts';
export * from './localtime.ts';
export * from './validity.ts';
export * from './kpis.ts';
export { accrualId, rateDay, closeMonth, evaluateGates, LineRangeError } from './rate.ts';
export type { GateResult } from './rate.ts';
