import type { DetectorStore, MarkerQuery, Markers, MarkerWrite } from '../src/index.ts';

/**
 * DetectorStore in memory, with Redis's semantics where the handler can tell (ids kept whole, not hashed): a marker hash per
 * customer, a timeline per customer replaced whole, and gone when replaced by nothing. TTLs are not
 * modelled (nothing expires in a test).
 */
export class MemoryDetectorStore implements DetectorStore {
  readonly markers = new Map<string, Map<string, string>>();
  readonly timelines = new Map<string, Buffer>();

  async read(queries: readonly MarkerQuery[], customers: readonly string[]): Promise<{ markers: Markers[]; timelines: Map<string, Buffer | null> }> {
    const markers = queries.map((q): Markers => {
      const hash = this.markers.get(q.customer);
      const owner = q.contactId === null ? undefined : hash?.get(`cid|${q.contactId}`);
      return { acceptedAt: hash?.get(`${q.kind}|${q.eventId}`) ?? null, contactIdTaken: owner !== undefined && owner !== q.eventId };
    });
    return { markers, timelines: new Map(customers.map((c) => [c, this.timelines.get(c) ?? null])) };
  }

  async write(markers: readonly MarkerWrite[], timelines: ReadonlyMap<string, Buffer | null>): Promise<void> {
    for (const m of markers) {
      const hash = this.markers.get(m.customer) ?? new Map<string, string>();
      hash.set(`${m.kind}|${m.eventId}`, m.position);
      if (m.contactId !== null) hash.set(`cid|${m.contactId}`, m.eventId);
      this.markers.set(m.customer, hash);
    }
    for (const [customer, packed] of timelines) {
      if (packed === null) this.timelines.delete(customer);
      else this.timelines.set(customer, packed);
    }
  }
}
