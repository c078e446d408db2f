/**
 * Redis key layout of the detector. Every key of one customer carries the customer as its hash tag
 * `{<customer>}`. A batch's scripts (lua/) touch many customers at once, so the detector runs
 * against one Redis, not a Cluster (docs/decisions.md).
 * With the default prefix a customer's state is `cx:tl:{c}:v3`: under `cx:tl:`, where the timeline
 * was, so Redis ACLs written for earlier versions (`~cx:ev:* ~cx:tl:* ~cx:epoch:*`) still cover it.
 */
import { WORKER_DEFAULTS } from '@cxg/platform';

export const DEFAULT_DETECTOR_KEY_PREFIX: string = WORKER_DEFAULTS.detector.keyPrefix;

export class DetectorKeys {
  constructor(readonly prefix: string = DEFAULT_DETECTOR_KEY_PREFIX) {}

  /** A customer's whole state, duplicate markers and timeline: one string (state-codec.ts). */
  state(customer: string): string {
    return `${this.prefix}tl:{${customer}}:v3`;
  }

  /** SCAN glob of every customer's state. */
  statePattern(): string {
    return `${this.prefix}tl:{*}:v3`;
  }

  /** The customer of any of a customer's keys. */
  customerOf(key: string): string {
    return key.slice(key.indexOf('{') + 1, key.lastIndexOf('}'));
  }

  /** Epoch of one input partition's state (platform's epoch.ts): how the worker notices that Redis lost it. */
  epoch(partition: number): string {
    return `${this.prefix}epoch:{p${partition}}`;
  }

  /**
   * Where earlier versions kept a customer's state (legacy-state.ts), still read while its state
   * key is missing and deleted when that is written: the duplicate marker hash, the timeline
   * string, and before that the timeline as a sorted set.
   */
  readonly legacy = {
    markers: (customer: string): string => `${this.prefix}ev:{${customer}}`,
    markersPattern: (): string => `${this.prefix}ev:{*}`,
    timeline: (customer: string): string => `${this.prefix}tl:{${customer}}:v2`,
    sortedSet: (customer: string): string => `${this.prefix}tl:{${customer}}`,
  };
}
