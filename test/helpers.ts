import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { createKafka, createLogger, createProducer, initTopics, readEndpoints, Serde, type Endpoints } from '@cxg/platform';

export const endpoints = (): Endpoints => readEndpoints();
export const testLog = createLogger('test', process.env.LOG_LEVEL ?? 'warn');
export const kafkaFor = (name: string): Kafka => createKafka(endpoints(), name, testLog);
export const serdeFor = (): Serde => Serde.create(endpoints().schemaRegistryUrl);

/**
 * For a test file on the stack's Kafka: a client named `name`, a serde, and (from beforeAll, after
 * `cxg topics init`'s initTopics) an idempotent producer that afterAll disconnects.
 */
export function kafkaSuite(name: string): { kafka: Kafka; serde: Serde; producer: () => Producer } {
  const kafka = kafkaFor(name);
  const serde = serdeFor();
  let producer: Producer | undefined;
  beforeAll(async () => {
    await initTopics(kafka, serde, endpoints().partitions);
    producer = await createProducer(kafka);
  });
  afterAll(async () => {
    await producer?.disconnect();
  });
  return { kafka, serde, producer: () => producer! };
}

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

/**
 * Reads a topic from the beginning with a throwaway group, keeping messages that `keep` selects.
 * A consumer kafkajs gives up on (a broker restart can do that) is replaced by a new one of the
 * same group, which resumes from the group's committed offsets.
 */
export async function collect(kafka: Kafka, topic: string, keep: (m: KafkaMessage) => boolean) {
  const groupId = runId('collect');
  const messages: KafkaMessage[] = [];
  let stopped = false;
  let consumer = kafka.consumer({ groupId });
  const start = async (c: typeof consumer): Promise<void> => {
    c.on(c.events.CRASH, (e) => {
      if (e.payload.restart || stopped) return;
      consumer = kafka.consumer({ groupId });
      void c.disconnect().catch(() => undefined);
      const retry = (): void => void start(consumer).catch(() => setTimeout(retry, 1000));
      setTimeout(retry, 1000);
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        if (keep(message)) messages.push(message);
      },
    });
  };
  await start(consumer);
  return {
    messages,
    stop: async () => {
      stopped = true;
      await consumer.disconnect();
    },
  };
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
 * Runs `cxg <args>` to its end, stdout and stderr apart. `closeStdout`: the reader of stdout goes
 * away before anything is written (`at-once`), or once it has the first line, as `| head -1` does.
 */
export function runCxg(
  args: string[],
  opts: { env?: Record<string, string>; closeStdout?: 'at-once' | 'after-first-line' } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { child } = spawnCxg(args, opts.env ?? {});
  let stdout = '';
  let stderr = '';
  if (opts.closeStdout === 'at-once') child.stdout.destroy();
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (opts.closeStdout === 'after-first-line' && stdout.includes('\n')) child.stdout.destroy();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}


/** A TCP port free right now on loopback, for a worker's METRICS_PORT. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Sum of a metric's samples on a worker's /metrics whose labels include every one of `labels`. */
export async function metric(port: number, name: string, ...labels: string[]): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels.every((l) => line.includes(l))) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

/** The group has committed up to the log end of every partition of `topics`, as of now. */
export async function caughtUp(kafka: Kafka, group: string, topics: readonly string[]): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      for (const e of ends) {
        const c = committed!.partitions.find((p) => p.partition === e.partition);
        if (!c || BigInt(c.offset) < BigInt(e.high)) return false;
      }
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}
