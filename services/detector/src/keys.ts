/**
 * Redis key layout of the detector. Every key of one customer carries the customer as its hash tag
 * `{<customer>}`. A batch's scripts (lua/) touch many customers at once, so the detector runs
 * against one Redis, not a Cluster (docs/decisions.md).
 * The default prefix gives the keys their names `cx:ev:{c}` and `cx:tl:{c}:v2`.
 */
import { WORKER_DEFAULTS } from '@cxg/platform';

export const DEFAULT_DETECTOR_KEY_PREFIX: string = WORKER_DEFAULTS.detector.keyPrefix;

export class DetectorKeys {
  constructor(readonly prefix: string = DEFAULT_DETECTOR_KEY_PREFIX) {}

  /** Hash of a customer's duplicate markers (fields: marker-codec.ts). */
  markers(customer: string): string {
    return `${this.prefix}ev:{${customer}}`;
  }

  /** SCAN glob of every customer's marker hash. */
  markersPattern(): string {
    return `${this.prefix}ev:{*}`;
  }

  /** The customer of a `markers` or `timeline` key. */
  customerOf(key: string): string {
    return key.slice(key.indexOf('{') + 1, key.lastIndexOf('}'));
  }

  /** Epoch of one input partition's state (platform's epoch.ts): how the worker notices that Redis lost it. */
  epoch(partition: number): string {
    return `${this.prefix}epoch:{p${partition}}`;
  }

  /** A customer's timeline: one string, the entries packed by `encodeTimeline` (entry-codec.ts). */
  timeline(customer: string): string {
    return `${this.prefix}tl:{${customer}}:v2`;
  }

  /**
   * Where versions before the packed form kept the timeline: a sorted set of entries by ended_at.
   * Still read while the new key is missing, deleted when the timeline is written again.
   */
  legacyTimeline(customer: string): string {
    return `${this.prefix}tl:{${customer}}`;
  }
}
