// Provider quality profiles. A fixed table (not drawn from the seed) so that "prov-b is the weak
// one" holds for every run and can be written into the docs and asserted by tests.
import { at } from './rng.ts';

export interface ProviderProfile {
  readonly id: string;
  /** Relative portfolio size. */
  readonly share: number;
  /** Probability that an answered contact leaves the issue open, so the customer comes back. */
  readonly repeat: number;
  /** Multiplies wait medians (service level, and abandon through patience). */
  readonly waitScale: number;
  /** Multiplies handle-time medians. */
  readonly ahtScale: number;
  /** Shifts CSAT: each survey moves one point up (+) or down (−) with this probability. */
  readonly csatShift: number;
  /** Multiplies the sale probability. */
  readonly salesFactor: number;
}

type Traits = Omit<ProviderProfile, 'id'>;

// a: strong, b: weak (rushes calls: short AHT, many repeats), c: average, d..f: variations.
const TRAITS: readonly Traits[] = [
  { share: 0.4, repeat: 0.1, waitScale: 0.8, ahtScale: 1.0, csatShift: 0.3, salesFactor: 1.2 },
  { share: 0.35, repeat: 0.3, waitScale: 1.3, ahtScale: 0.85, csatShift: -0.4, salesFactor: 0.8 },
  { share: 0.25, repeat: 0.18, waitScale: 1.0, ahtScale: 1.1, csatShift: 0, salesFactor: 1.0 },
  { share: 0.2, repeat: 0.14, waitScale: 0.9, ahtScale: 1.05, csatShift: 0.1, salesFactor: 1.5 },
  { share: 0.2, repeat: 0.24, waitScale: 1.15, ahtScale: 0.95, csatShift: -0.2, salesFactor: 0.9 },
  { share: 0.15, repeat: 0.2, waitScale: 1.05, ahtScale: 1.0, csatShift: 0, salesFactor: 1.0 },
];

const INHOUSE: Traits = { share: 0.1, repeat: 0.12, waitScale: 1.1, ahtScale: 1.15, csatShift: 0.2, salesFactor: 0.6 };

export const MAX_PROVIDERS = 26;

/** prov-a, prov-b, ... (at most 26), then `inhouse` when asked for. */
export function providerProfiles(count: number, inhouse: boolean): ProviderProfile[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PROVIDERS) {
    throw new RangeError(`providers must be an integer in 1..${MAX_PROVIDERS}, got ${count}`);
  }
  const profiles: ProviderProfile[] = [];
  for (let i = 0; i < count; i++) {
    profiles.push({ id: `prov-${String.fromCharCode(97 + i)}`, ...at(TRAITS, i % TRAITS.length) });
  }
  if (inhouse) profiles.push({ id: 'inhouse', ...INHOUSE });
  return profiles;
}
