// Integration and end-to-end tests against the real local stack: the global setup brings it up (or
// finds it up) once per run, and test files run one at a time because they share Kafka and Redis.
import { cxgVitest } from '../vitest.shared.ts';

export default cxgVitest('integration', {
  globalSetup: ['./global-setup.ts'],
  include: ['**/*.test.ts'],
  exclude: ['**/node_modules/**'],
  testTimeout: 60_000,
  hookTimeout: 180_000,
  fileParallelism: false,
});
