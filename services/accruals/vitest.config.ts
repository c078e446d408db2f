import { cxgVitest } from '../../vitest.shared.ts';

// Embedded ClickHouse runs dozens of queries per test: vitest's 5 s default would be a timing
// assertion on a loaded 2-core machine (or under faketime), not a check of the ledger.
export default cxgVitest('accruals', { testTimeout: 60_000 });
