import type { Command } from 'commander';
import { createKafka, createLogger, initTopics, readEndpoints, Serde } from '@cxg/platform';

export function register(program: Command): void {
  program
    .command('topics')
    .description('manage the Kafka topics and schemas (see docs/events.md)')
    .command('init')
    .description('create every topic (CX_PARTITIONS partitions, inputs co-partitioned) and register the Avro schemas with BACKWARD compatibility; idempotent')
    .option('--partitions <n>', 'partition count (default: CX_PARTITIONS or 6)', (v) => Number(v))
    .option('--json', 'print the result as JSON')
    .action(async (opts: { partitions?: number; json?: boolean }) => {
      const endpoints = readEndpoints();
      const log = createLogger('cli', 'warn');
      const kafka = createKafka(endpoints, 'cxg-topics', log);
      const result = await initTopics(kafka, Serde.create(endpoints.schemaRegistryUrl), opts.partitions ?? endpoints.partitions);
      if (opts.json) {
        console.log(JSON.stringify(result));
        return;
      }
      for (const t of result.created) console.log(`created  ${t}`);
      for (const t of result.existing) console.log(`exists   ${t}`);
      for (const [t, id] of Object.entries(result.schemaIds)) console.log(`schema   ${t}-value → id ${id}`);
    });
}
