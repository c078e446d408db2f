// The KPI worker's batch logic against an in-memory KpiStore: the same suite and assertions as on
// the real Redis (handler.test.ts), without Redis, so the handler's exactly-once logic is tested on
// its own.
import { describeBatchLogic } from './batch-logic.ts';
import { MemoryKpiStore } from './memory-store.ts';

describeBatchLogic(
  'KPI worker batch logic on an in-memory store',
  () => {
    const store = new MemoryKpiStore();
    return { store: () => store, buckets: async () => store.buckets() };
  },
  Date.now(),
);
