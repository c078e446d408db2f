import type { Command } from 'commander';
import { createKafka, createLogger, initTopics, readEndpoints, readTopicNames, Serde } from '@cxg/platform';

export function register(program: Command): void {
  program
    .command('topics')
    .description('manage the Kafka topics and schemas (see docs/events.md)')
    .command('init')
    .description('create every topic (CX_PARTITIONS partitions, inputs co-partitioned) under its Kafka name (CX_TOPIC_PREFIX, CX_TOPIC_*) and register the Avro schemas with BACKWARD compatibility; idempotent')
    .option('--partitions <n>', 'partition count (default: CX_PARTITIONS or 6)', (v) => Number(v))
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Topic names: each topic's Kafka name is CX_TOPIC_PREFIX (default "cx.") followed by the rest of
its default name (contacts.v1, web.v1, customers.v1, signals.v1, kpi-alerts.v1, dlq.v1,
dlq-replayed.v1), or its own variable when set: CX_TOPIC_CONTACTS, CX_TOPIC_WEB,
CX_TOPIC_CUSTOMERS, CX_TOPIC_SIGNALS, CX_TOPIC_ALERTS, CX_TOPIC_DLQ, CX_TOPIC_DLQ_REPLAYED. The
workers and every cxg command read the same variables. Schemas are registered under
"<Kafka topic>-value".

Example: CX_TOPIC_PREFIX=stage.cx. cxg topics init   creates stage.cx.contacts.v1, …

Exit codes: 0 done; 1 failed (Kafka or the registry unreachable, a topic with another partition
count); 2 an invalid CX_TOPIC_* variable.`,
    )
    .action(async (opts: { partitions?: number; json?: boolean }) => {
      const endpoints = readEndpoints();
      const names = readTopicNames();
      const log = createLogger('cli', 'warn');
      const kafka = createKafka(endpoints, 'cxg-topics', log);
      const result = await initTopics(kafka, Serde.create(endpoints.schemaRegistryUrl, { names }), opts.partitions ?? endpoints.partitions);
      if (opts.json) {
        console.log(JSON.stringify(result));
        return;
      }
      for (const t of result.created) console.log(`created  ${t}`);
      for (const t of result.existing) console.log(`exists   ${t}`);
      for (const [t, id] of Object.entries(result.schemaIds)) console.log(`schema   ${t}-value → id ${id}`);
    });
}
