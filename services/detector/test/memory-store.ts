import { CustomerState, decodeState, encodeState, type DetectorStore } from '../src/index.ts';

/**
 * DetectorStore in memory, with Redis's semantics where the handler can tell: each customer's state
 * stored whole in its encoded form (state-codec.ts), and gone when replaced by an empty one. TTLs
 * are not modelled (nothing expires in a test).
 */
export class MemoryDetectorStore implements DetectorStore {
  readonly states = new Map<string, Buffer>();

  async load(customers: readonly string[]): Promise<Map<string, CustomerState>> {
    return new Map(customers.map((c) => {
      const stored = this.states.get(c);
      return [c, stored === undefined ? new CustomerState() : decodeState(c, stored)];
    }));
  }

  async save(states: ReadonlyMap<string, CustomerState>): Promise<void> {
    for (const [customer, state] of states) {
      if (state.empty) this.states.delete(customer);
      else this.states.set(customer, encodeState(customer, state));
    }
  }
}
