/**
 * Which assigned partitions have nothing more to give: the consumer position (the next offset this
 * process will handle) has reached the log end and stayed there for `idleAfterMs` of wall clock.
 *
 * This, and never "nothing arrived for a while", is what lets a reorder buffer stop waiting for a
 * quiet partition. A worker that is busy with other partitions, stalled on a store or catching up
 * on a backlog also receives nothing for a while, but its partitions still hold records; treating
 * them as quiet would release the buffer past them and make their records late.
 */
export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface DrainSource {
  /** Log end offsets (high watermarks) per partition of each topic. */
  logEnds(topics: readonly string[]): Promise<Map<string, bigint>>;
  /**
   * Where consumption starts for partitions this member has not handled a batch of since it was
   * assigned them: the group's committed offset, or the reset position when there is none.
   */
  startPositions(topics: readonly string[]): Promise<Map<string, bigint>>;
}

const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;

export class DrainWatch {
  private assigned: TopicPartition[] = [];
  private readonly positions = new Map<string, bigint>();
  private readonly drainedSince = new Map<string, number>();
  private startsKnown = false;

  constructor(
    private readonly source: DrainSource,
    private readonly idleAfterMs: number,
  ) {}

  /** A new assignment: positions are unknown again until batches or the group's offsets tell them. */
  assign(assignment: Record<string, number[]>): void {
    this.assigned = Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    this.positions.clear();
    this.drainedSince.clear();
    this.startsKnown = false;
  }

  /** This process handled a batch up to `nextOffset`: the partition delivered, so it is not quiet. */
  handled(topic: string, partition: number, nextOffset: string): void {
    const k = keyOf(topic, partition);
    this.positions.set(k, BigInt(nextOffset));
    this.drainedSince.delete(k);
  }

  /** The assigned partitions drained for at least `idleAfterMs`, looked up against the log ends now. */
  async idle(nowMs: number): Promise<TopicPartition[]> {
    if (this.assigned.length === 0) return [];
    const topics = [...new Set(this.assigned.map((tp) => tp.topic))];
    if (!this.startsKnown) {
      for (const [k, offset] of await this.source.startPositions(topics)) if (!this.positions.has(k)) this.positions.set(k, offset);
      this.startsKnown = true;
    }
    const ends = await this.source.logEnds(topics);
    const out: TopicPartition[] = [];
    for (const tp of this.assigned) {
      const k = keyOf(tp.topic, tp.partition);
      const position = this.positions.get(k);
      const end = ends.get(k);
      if (position === undefined || end === undefined || position < end) {
        this.drainedSince.delete(k);
        continue;
      }
      const since = this.drainedSince.get(k) ?? nowMs;
      this.drainedSince.set(k, since);
      if (nowMs - since >= this.idleAfterMs) out.push(tp);
    }
    return out;
  }
}

/** The admin-client lookups DrainWatch needs, for one consumer group. */
export function kafkaDrainSource(
  admin: {
    fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; high: string; low: string }>>;
    fetchOffsets(o: { groupId: string; topics: string[] }): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
  },
  groupId: string,
  fromBeginning: boolean,
): DrainSource {
  const ends = async (topics: readonly string[]) => {
    const out = new Map<string, { high: bigint; low: bigint }>();
    await Promise.all(
      topics.map(async (topic) => {
        for (const p of await admin.fetchTopicOffsets(topic)) out.set(keyOf(topic, p.partition), { high: BigInt(p.high), low: BigInt(p.low) });
      }),
    );
    return out;
  };
  return {
    logEnds: async (topics) => new Map([...(await ends(topics))].map(([k, v]) => [k, v.high])),
    startPositions: async (topics) => {
      const bounds = await ends(topics);
      const out = new Map<string, bigint>();
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
        for (const { partition, offset } of partitions) {
          const k = keyOf(topic, partition);
          const b = bounds.get(k);
          // -1: nothing committed yet, so consumption starts at the reset position
          if (offset !== '-1') out.set(k, BigInt(offset));
          else if (b !== undefined) out.set(k, fromBeginning ? b.low : b.high);
        }
      }
      return out;
    },
  };
}
