// The detector's batch logic against an in-memory DetectorStore: the same suite and assertions as
// on the real Redis (detector.test.ts), without Redis, so the handler's exactly-once logic is
// tested on its own.
import { MemoryDetectorStore } from './memory-store.ts';
import { describeBatchLogic } from './batch-logic.ts';

// Every handler of a run shares one store, as restarted workers share Redis; runs use ids of their own.
const store = new MemoryDetectorStore();

describeBatchLogic('detector batch logic on an in-memory store', () => store, Date.now());
