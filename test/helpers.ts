import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { createKafka, createLogger, readEndpoints, Serde, type Endpoints } from '@cxg/platform';

export const endpoints = (): Endpoints => readEndpoints();
export const testLog = createLogger('test', process.env.LOG_LEVEL ?? 'warn');
export const kafkaFor = (name: string): Kafka => createKafka(endpoints(), name, testLog);
export const serdeFor = (): Serde => Serde.create(endpoints().schemaRegistryUrl);

/** A prefix unique to one test run, so runs can share the stack's long-lived topics. */
export const runId = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

/** Polls until `check` returns a value or the timeout passes. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Reads a topic from the beginning with a throwaway group, keeping messages that `keep` selects. */
export async function collect(kafka: Kafka, topic: string, keep: (m: KafkaMessage) => boolean) {
  const consumer = kafka.consumer({ groupId: runId('collect') });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (keep(message)) messages.push(message);
    },
  });
  return { messages, stop: () => consumer.disconnect() };
}

/** Makes every id of a simulated record unique to one test run, so runs can share the stack. */
export function prefixIds<T extends { topic: string; key: string; value: object }>(record: T, run: string): T {
  const v = { ...(record.value as Record<string, unknown>) };
  for (const f of ['event_id', 'contact_id', 'session_id', 'customer_id']) {
    if (typeof v[f] === 'string') v[f] = `${run}-${v[f] as string}`;
  }
  return { ...record, key: `${run}-${record.key}`, value: v };
}

/** Spawns `cxg <args>` as a child process with extra environment, logging to the test's stderr on failure. */
export function spawnCxg(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [cxgBin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

export const cxgBin = fileURLToPath(new URL('../services/cli/bin/cxg.js', import.meta.url));

/**
 * Commits a new consumer group's offsets at the current log end of `topics`, so a worker started in
 * that group sees only what the test produces next. Without it a fresh group reads every earlier
 * test's events from the shared topics; their event times overlap this test's, and the reorder
 * buffer would rightly call this test's events late.
 */
export async function groupAtLogEnd(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
    }
  } finally {
    await admin.disconnect();
  }
}
