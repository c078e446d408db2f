export { Decimal, dec, centsToNumber } from './decimal.ts';
export type { DecimalLike } from './decimal.ts';
