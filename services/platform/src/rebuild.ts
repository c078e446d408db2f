/**
 * The runner's guard over a worker's store state (epoch.ts says how loss is told apart). Every
 * commit passes through `admit`: a partition whose state is intact commits with its epoch as
 * metadata; a partition whose state was lost commits nothing, and the runner re-reads it from the
 * offsets found by timestamp `rebuildSpanMs` back — the records before the old committed offsets
 * (`until`) rebuild the state without effects beyond the store, those after are processed as
 * usual. The partition commits again, under a new epoch, once its proposed offsets reach `until`
 * on every topic; until then the worker is not ready.
 */
import type { Admin } from 'kafkajs';
import { epochMetadata, judgeEpoch, newEpoch, parseEpochMetadata, rebuildingMarker, type EpochStore } from './epoch.ts';
import type { Logger } from './logger.ts';
import type { PipelineMetrics } from './metrics.ts';

export interface StateOptions {
  epochs: EpochStore;
  /** How far back (by record timestamp) a lost partition is re-read: the state's longest memory. */
  rebuildSpanMs: number;
  /**
   * Deletes whatever the store holds of these partitions before their rebuild: what a batch wrote
   * between the loss and its discovery, or what an unfinished rebuild left, was built on missing
   * state and would be taken as already applied. Returns the number of keys deleted.
   */
  clear(partitions: readonly number[]): Promise<number>;
}

export interface OffsetCommit {
  topic: string;
  partition: number;
  offset: string;
  metadata?: string;
}

interface Rebuild {
  /** Per topic: the old committed offset; records before it were processed before the loss. */
  until: Map<string, bigint>;
  /** Topics whose proposed commit reached `until`. */
  reached: Set<string>;
  marker: string;
  epoch: string;
  startedMs: number;
  records: number;
  bytes: number;
}

export class StateKeeper {
  /** The epoch each partition's state has in the store, as this process last saw it. */
  private readonly epochs = new Map<number, string>();
  /** The epoch this process last committed (or found committed) per partition. */
  private readonly committed = new Map<number, string | null>();
  /** Per `topic:partition`: the first offset the state was ever built from (see `epochMetadata`). */
  private readonly lineage = new Map<string, bigint>();
  /** The group's committed offsets and metadata, read once per assignment. */
  private view: Promise<void> | null = null;
  private readonly rebuilds = new Map<number, Rebuild>();

  constructor(
    private readonly opts: StateOptions & {
      admin: Admin;
      groupId: string;
      topics: readonly string[];
      log: Logger;
      metrics: Pick<PipelineMetrics, 'rebuilds'>;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** A new assignment: what this process knew of the group's commits may be stale. */
  reset(): void {
    this.epochs.clear();
    this.committed.clear();
    this.lineage.clear();
    this.view = null;
    this.rebuilds.clear();
  }

  /** The replay boundary of a partition being rebuilt, for the handler. */
  replayUntil(partition: number): ReadonlyMap<string, bigint> | undefined {
    return this.rebuilds.get(partition)?.until;
  }

  /**
   * The runner sought back (a failed batch): what the rebuilds had reached is being re-read, so it
   * has to be reached again before they finish.
   */
  rewound(): void {
    for (const r of this.rebuilds.values()) r.reached.clear();
  }

  /** Counts what a rebuild re-reads, for its cost in the completion log line. */
  observe(partition: number, records: number, bytes: number): void {
    const r = this.rebuilds.get(partition);
    if (r) {
      r.records += records;
      r.bytes += bytes;
    }
  }

  /** Null when no partition is being rebuilt, else what is (for /readyz). */
  status(): string | null {
    if (this.rebuilds.size === 0) return null;
    const parts = [...this.rebuilds.entries()].map(([p, r]) => `${p} (${r.records} records re-read)`);
    return `rebuilding the state of partition ${parts.join(', ')}`;
  }

  /** Reads the group's committed epochs and lineage starts once per assignment. */
  private readView(): Promise<void> {
    this.view ??= (async () => {
      const { admin, groupId, topics } = this.opts;
      for (const t of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
        for (const p of t.partitions) {
          const meta = parseEpochMetadata(p.metadata);
          if (!this.committed.has(p.partition) || (this.committed.get(p.partition) === null && meta)) this.committed.set(p.partition, meta?.epoch ?? null);
          // Without a recorded start, the state began where the group's first commit of ours found it.
          const from = meta?.from ?? (meta === null ? BigInt(p.offset === '-1' ? 0 : p.offset) : null);
          if (from !== null) this.lineage.set(`${t.topic}:${p.partition}`, from);
        }
      }
    })().catch((err: unknown) => {
      this.view = null;
      throw err;
    });
    return this.view;
  }

  private async committedEpoch(partition: number): Promise<string | null> {
    await this.readView();
    return this.committed.get(partition) ?? null;
  }

  /**
   * Which of `offsets` may be committed now, with their metadata, and which partitions turned out
   * to have lost their state (the runner then starts their rebuild and commits none of theirs).
   */
  async admit(offsets: readonly OffsetCommit[]): Promise<{ commit: OffsetCommit[]; lost: number[] }> {
    const { epochs } = this.opts;
    await this.readView();
    const lost: number[] = [];
    for (const partition of new Set(offsets.map((o) => o.partition))) {
      const stored = await epochs.get(partition);
      const rebuild = this.rebuilds.get(partition);
      const verdict = judgeEpoch(stored, stored === null || rebuild ? await this.committedEpoch(partition) : null, rebuild?.marker ?? null);
      if (verdict === 'lost') lost.push(partition);
      else if (verdict === 'fresh') {
        const epoch = newEpoch();
        await epochs.set(partition, epoch);
        this.epochs.set(partition, epoch);
      } else if (!rebuild) this.epochs.set(partition, stored!);
    }
    for (const o of offsets) {
      const until = this.rebuilds.get(o.partition)?.until;
      if (until && (!until.has(o.topic) || BigInt(o.offset) >= until.get(o.topic)!)) this.rebuilds.get(o.partition)!.reached.add(o.topic);
    }
    for (const [partition, r] of this.rebuilds) {
      if (!lost.includes(partition) && [...r.until.keys()].every((t) => r.reached.has(t))) await this.finish(partition, r);
    }
    const commit = offsets
      .filter((o) => !lost.includes(o.partition) && !this.rebuilds.has(o.partition))
      .map((o) => ({ ...o, metadata: epochMetadata(this.epochs.get(o.partition)!, this.lineage.get(`${o.topic}:${o.partition}`)) }));
    for (const c of commit) this.committed.set(c.partition, this.epochs.get(c.partition)!);
    return { commit, lost };
  }

  private async finish(partition: number, r: Rebuild): Promise<void> {
    await this.opts.epochs.set(partition, r.epoch);
    this.epochs.set(partition, r.epoch);
    this.rebuilds.delete(partition);
    const seconds = (this.now() - r.startedMs) / 1000;
    this.opts.metrics.rebuilds.inc({ result: 'done' });
    // warn like the loss it closes, so the pair shows at the usual log level
    this.opts.log.warn({ partition, seconds, records: r.records, bytes: r.bytes }, 'state rebuilt: the partition commits and is ready again');
  }

  /**
   * Starts (or restarts) the rebuild of `partitions`: marks them rebuilding in the store and returns
   * where to seek each topic-partition. Nothing was committed since the loss, so the group's
   * committed offsets are the boundary.
   */
  async start(partitions: readonly number[]): Promise<Array<{ topic: string; partition: number; offset: string }>> {
    const { admin, groupId, topics, epochs, rebuildSpanMs, log } = this.opts;
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
    const since = this.now() - rebuildSpanMs;
    const seeks: Array<{ topic: string; partition: number; offset: string }> = [];
    const starts = new Map(await Promise.all(topics.map(async (t) => [t, await admin.fetchTopicOffsetsByTimestamp(t, since)] as const)));
    const ends = new Map(await Promise.all(topics.map(async (t) => [t, await admin.fetchTopicOffsets(t)] as const)));
    const planned: Array<[number, Rebuild]> = [];
    for (const partition of partitions) {
      const until = new Map<string, bigint>();
      for (const t of topics) {
        const c = committed.find((x) => x.topic === t)?.partitions.find((p) => p.partition === partition)?.offset;
        const end = ends.get(t)!.find((p) => p.partition === partition)!;
        const boundary = c === undefined || c === '-1' ? BigInt(end.low) : BigInt(c);
        const byTime = starts.get(t)!.find((p) => p.partition === partition)?.offset;
        // -1: no record that recent; then nothing before the boundary needs re-reading. Nor anything
        // before the state's first record.
        let from = byTime === undefined || byTime === '-1' ? boundary : BigInt(byTime) < boundary ? BigInt(byTime) : boundary;
        const first = this.lineage.get(`${t}:${partition}`);
        if (first !== undefined && first > from) from = first < boundary ? first : boundary;
        if (from < boundary) until.set(t, boundary);
        seeks.push({ topic: t, partition, offset: from.toString() });
      }
      const epoch = newEpoch();
      planned.push([partition, { until, reached: new Set(), marker: rebuildingMarker(epoch), epoch, startedMs: this.now(), records: 0, bytes: 0 }]);
    }
    const cleared = await this.opts.clear(partitions);
    // Markers first, the in-memory rebuilds only once all are written: a failure here leaves markers
    // that no process owns, which the next commit takes for a rebuild to start over.
    for (const [partition, r] of planned) await epochs.set(partition, r.marker);
    for (const [partition, r] of planned) {
      this.rebuilds.set(partition, r);
      this.opts.metrics.rebuilds.inc({ result: 'started' });
      log.warn(
        { partition, keysCleared: cleared, since: new Date(since).toISOString(), from: Object.fromEntries(seeks.filter((s) => s.partition === partition).map((s) => [s.topic, s.offset])), until: Object.fromEntries([...r.until].map(([t, o]) => [t, o.toString()])) },
        'state of the partition is missing from the store: rebuilding it from the input topics before it commits again',
      );
    }
    return seeks;
  }
}
