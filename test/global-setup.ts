// Vitest global setup for the integration workspace: `cxg stack up` (idempotent: a running stack is
// reused in well under a second; a cold machine downloads and starts Kafka and the registry), then
// the endpoints go into process.env (inherited by the test workers, read by @cxg/platform's
// readEndpoints) and into vitest's provided context (inject('stackEnv')).
// The stack stays up afterwards so the next run starts at once; `cxg stack down` stops it.
import type { TestProject } from 'vitest/node';
import { stackUp, type StackEnv } from '@cxg/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    stackEnv: StackEnv;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const started = Date.now();
  const env = await stackUp({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  for (const [key, value] of Object.entries(env)) process.env[key] = value;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  project.provide('stackEnv', env);
  process.stderr.write(`[stack] ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${env.KAFKA_BROKERS}, ${env.SCHEMA_REGISTRY_URL}, ${env.REDIS_URL}\n`);
}
