/**
 * Redis key layout of the KPI worker. Everything of one input partition shares the hash tag
 * `{p<n>}`: inputs are keyed by customer and co-partitioned, so a record, its duplicates and the
 * offsets that say what was applied live in one slot and one Lua call updates them together.
 */
import type { Granularity } from '@cxg/engine';
import { WORKER_DEFAULTS, idHashText } from '@cxg/platform';

export const DEFAULT_KEY_PREFIX: string = WORKER_DEFAULTS.kpi.keyPrefix;

export class KpiKeys {
  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {}

  private part(partition: number): string {
    return `${this.prefix}{p${partition}}`;
  }

  /** SCAN glob of every key of one partition. */
  partitionPattern(partition: number): string {
    return `${this.part(partition)}:*`;
  }

  /** Counter hash of one minute (`m`) or hour (`h`) bucket of one partition. */
  bucket(partition: number, granularity: Granularity, bucket: number): string {
    return `${this.part(partition)}:${granularity}:${bucket}`;
  }

  /** Duplicate markers written in one slice of wall-clock time (its start, epoch ms; see store.ts). */
  seen(partition: number, sliceStartMs: number): string {
    return `${this.part(partition)}:seen:${sliceStartMs}`;
  }

  /** Hash: topic → last applied offset. */
  applied(partition: number): string {
    return `${this.part(partition)}:applied`;
  }

  /** Epoch of the partition's state (platform's epoch.ts): how the worker notices that Redis lost it. */
  epoch(partition: number): string {
    return `${this.part(partition)}:epoch`;
  }

  /** Greatest event time applied on the partition (all its topics), epoch ms. */
  watermark(partition: number): string {
    return `${this.part(partition)}:watermark`;
  }

  /** Set of partition numbers that have state, so readers know what to sum over. */
  partitions(): string {
    return `${this.prefix}partitions`;
  }

  /** Hash: alert key → `<state>|<seq>`. */
  alerts(): string {
    return `${this.prefix}alerts`;
  }
}

/**
 * Duplicate-marker fields: a letter for the kind of id (ids of different topics stay apart) and the
 * id's hash (platform's id-hash.ts), 12 characters however long the id: the markers of every id
 * accepted within the dedupe TTL stay in Redis. A contact_id's value is its owner's `ownerValue`.
 */
export const markerField = {
  contact: (eventId: string) => `c${idHashText(eventId)}`,
  journey: (eventId: string) => `w${idHashText(eventId)}`,
  signal: (signalId: string) => `s${idHashText(signalId)}`,
  contactId: (contactId: string) => `i${idHashText(contactId)}`,
  /** The value of a contact_id's field: its owner's event_id, hashed. */
  ownerValue: (eventId: string) => idHashText(eventId),
};
