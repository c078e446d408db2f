export { Decimal, dec, centsToNumber, fitsInt64, INT64_MAX, INT64_MIN } from './decimal.ts';
export type { DecimalLike } from './decimal.ts';
export { JsonNumber, exactJson, jsonDecimal } from './json.ts';
