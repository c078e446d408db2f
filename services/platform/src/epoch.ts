/**
 * Telling a store that lost its state from a store that never had any. Redis may come back empty
 * (no persistence, a failover to a replica that had not caught up, FLUSHALL): the worker would go
 * on against empty timelines and markers, silently missing signals and counting re-read records
 * twice. So each partition's state carries an epoch, a random id the worker writes into the store
 * with the state and into the consumer group's committed offsets as their metadata. Kafka keeps
 * the metadata whatever happens to the store, so at a commit:
 *
 * - epoch in the store           → state intact;
 * - none, none in the group      → a partition that never had state: write a new epoch;
 * - none, but one in the group   → state lost: rebuild it, then write a new epoch;
 * - `rebuilding:` not our own    → a rebuild that did not finish (the store was lost again, or the
 *                                  process died during it): rebuild again.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Where a worker keeps the epoch of each input partition's state: beside that state, in the same store. */
export interface EpochStore {
  get(partition: number): Promise<string | null>;
  set(partition: number, epoch: string): Promise<void>;
}

/** Epochs in Redis, one plain key per partition (the key sits in the partition's hash slot when `keyOf` puts it there). */
export function redisEpochStore(redis: Redis, keyOf: (partition: number) => string): EpochStore {
  return {
    get: (partition) => redis.get(keyOf(partition)),
    set: async (partition, epoch) => void (await redis.set(keyOf(partition), epoch)),
  };
}

const METADATA_PREFIX = 'cxg-epoch:';
/** A store value with this prefix marks a rebuild in progress (readers of the state treat it as incomplete). */
export const REBUILDING_PREFIX = 'rebuilding:';

export const newEpoch = (): string => randomUUID();

/**
 * The committed-offset metadata that records `epoch` and, when known, `from`: the first offset of
 * the topic-partition the state was ever built from (a group placed at the log end never saw what
 * lies before it, so a rebuild need not read it either).
 */
export const epochMetadata = (epoch: string, from?: bigint): string => `${METADATA_PREFIX}${epoch}${from === undefined ? '' : `;from=${from}`}`;

/** What a committed offset's metadata records, or null (committed without an epoch). */
export function parseEpochMetadata(metadata: string | null | undefined): { epoch: string; from: bigint | null } | null {
  if (!metadata?.startsWith(METADATA_PREFIX)) return null;
  const [epoch, ...fields] = metadata.slice(METADATA_PREFIX.length).split(';');
  const from = fields.find((f) => f.startsWith('from='))?.slice('from='.length);
  return { epoch: epoch!, from: from !== undefined && /^\d+$/.test(from) ? BigInt(from) : null };
}

/** The store's value while a rebuild towards `epoch` runs. */
export const rebuildingMarker = (epoch: string): string => `${REBUILDING_PREFIX}${epoch}`;

export type EpochVerdict = 'intact' | 'fresh' | 'lost';

/**
 * The rule above. `stored`: the store's value; `committed`: the epoch in the group's committed
 * metadata (or null); `ours`: the rebuild marker this process is writing, if it is rebuilding.
 */
export function judgeEpoch(stored: string | null, committed: string | null, ours: string | null = null): EpochVerdict {
  if (stored !== null && stored === ours) return 'intact';
  if (stored !== null && !stored.startsWith(REBUILDING_PREFIX)) return 'intact';
  if (stored === null && committed === null) return 'fresh';
  return 'lost';
}
