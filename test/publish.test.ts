// `cxg publish` and configurable topic names end to end on the real stack: a topic prefix of the
// run's own (fresh topics created with `cxg topics init`, so no other test's traffic is seen), a
// simulated stream written as a replay file (bad records and duplicates included), published with
// `cxg publish`, and the three workers run with that prefix (`cxg run`). The ledger the accruals
// worker wrote must hold what `cxg replay` books from the same file, and the run must have
// produced nothing to the default-named topics.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { DEFAULT_DETECTION, TOPICS, replay, type ReplayRejection } from '@cxg/engine';
import { readEndpoints, readToEnd, readTopicNames, subjectOf, type OutRecord } from '@cxg/platform';
import { simulate, withIdPrefix } from '@cxg/simulator';
import { caughtUp, eventually, freePort, kafkaFor, runCxg, runId, spawnCxg } from './helpers.ts';
import { heldLines, readLedger, replayLedger, runContracts, withRunFamilies, type LedgerRun } from './ledger-scope.ts';

const kafka = kafkaFor('test-publish');
const NOW = Date.now();
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

/**
 * End-of-stream markers (a COMPLETED journey and an ABANDONED contact at `atMs`, as
 * @cxg/detector's endOfStreamMarkers) on every partition, as file lines: their customer ids are
 * picked so that Kafka's default partitioner, which `cxg publish` uses, puts one on each partition.
 */
function markerLines(run: string, atMs: number, partitions: number): OutRecord[] {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0, offlineReplicas: [] }));
  const ids = new Map<number, string>();
  for (let i = 0; ids.size < partitions; i++) {
    const id = `${run}-end-${i}`;
    const p = partitioner({ topic: 'any', partitionMetadata, message: { key: id, value: null } });
    if (!ids.has(p)) ids.set(p, id);
  }
  return [...ids.values()].flatMap((id): OutRecord[] => [
    { topic: TOPICS.web, key: id, value: { event_id: `${id}-w`, session_id: id, customer_id: id, journey: 'stream.end', started_at: atMs, ended_at: atMs, outcome: 'COMPLETED', last_step: 'end', error_code: null } },
    {
      topic: TOPICS.contacts,
      key: id,
      value: { event_id: `${id}-c`, contact_id: id, customer_id: id, provider_id: 'stream-end', agent_id: null, channel: 'CHAT', queue: 'end', intent: 'stream.end', started_at: atMs, answered_at: null, ended_at: atMs, outcome: 'ABANDONED', csat: null, sale_cents: 0 },
    },
  ]);
}

/** A simulated week across a month end, with the run's ids, providers and families, as one replay file. */
function stream(run: string): LedgerRun & { file: string } {
  const sim = simulate({ seed: 41, customers: 200, providers: 3, days: 7, startMs: Date.UTC(2026, 9, 27), nowMs: NOW, issueRate: 0.5, duplicateRatio: 0.02, badRatio: 0.01 });
  const records = [...sim].map((r) => {
    const out = withIdPrefix(r, run);
    const v = out.value as Record<string, unknown>;
    if (typeof v.provider_id === 'string') v.provider_id = `${run}-${v.provider_id}`;
    return withRunFamilies(out as OutRecord, run);
  });
  const last = replay(records.map((x, i) => ({ line: i + 1, topic: x.topic, value: x.value })), { nowMs: NOW }).watermarkMs!;
  records.push(...markerLines(run, last + DEFAULT_DETECTION.allowedLatenessMs + 1000, readEndpoints().partitions));
  const contracts = runContracts(run, { validFrom: '2026-10-01', validTo: '2026-12-31', lateStart: '2026-10-29' });
  const file = join(mkdtempSync(join(tmpdir(), 'cxg-publish-')), 'events.ndjson');
  writeFileSync(file, records.map((x) => JSON.stringify({ topic: x.topic, value: x.value })).join('\n') + '\n');
  return { run, records, file, ...contracts };
}

/** Deletes the run's topics and their subjects afterwards. */
function dropAfterwards(topics: string[]): void {
  cleanup.push(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).finally(() => admin.disconnect());
    for (const t of topics) {
      const subject = `${readEndpoints().schemaRegistryUrl}/subjects/${encodeURIComponent(subjectOf(t))}`;
      await fetch(subject, { method: 'DELETE' });
      await fetch(`${subject}?permanent=true`, { method: 'DELETE' });
    }
  });
}

/** Records with the run's id in key or value on `topic` since `sinceMs` (append time). */
async function runRecordsOn(topic: string, run: string, sinceMs: number): Promise<number> {
  let n = 0;
  await readToEnd(kafka, topic, (_p, m) => void (n += m.key?.includes(run) || m.value?.includes(run) ? 1 : 0), { groupId: `${run}-probe-${topic}`, sinceMs });
  return n;
}

describe('cxg publish with a topic prefix of its own', () => {
  it('loads a replay file into fresh prefixed topics; the workers on that prefix book what cxg replay books, and nothing reaches the default topics', async () => {
    const startedMs = Date.now();
    const r = stream(runId('pub'));
    const prefix = `${r.run}.`;
    const env = { CX_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' };
    const names = readTopicNames(env);
    const physical = Object.values(TOPICS).map((t) => names.physical(t));
    dropAfterwards(physical);

    // cxg topics init under the prefix creates every topic afresh and registers <topic>-value
    const init = await runCxg(['topics', 'init', '--json'], { env });
    expect(init.code, init.stderr).toBe(0);
    const created = JSON.parse(init.stdout) as { created: string[]; existing: string[]; schemaIds: Record<string, number> };
    expect(created.created.sort()).toEqual([...physical].sort());
    expect(created.existing).toEqual([]);
    expect(Object.keys(created.schemaIds).sort()).toEqual([TOPICS.contacts, TOPICS.web, TOPICS.customers, TOPICS.signals, TOPICS.alerts].map((t) => names.physical(t)).sort());

    const dir = mkdtempSync(join(tmpdir(), 'cxg-publish-ledger-'));
    const workerEnv = {
      ...env,
      CX_CONFIG: r.config,
      CLICKHOUSE_URL: `chdb://${dir}`,
      CX_DETECTOR_GROUP: `${r.run}-detector`,
      CX_KPI_GROUP: `${r.run}-kpi`,
      CX_ACCRUALS_GROUP: `${r.run}-accruals`,
      CX_DETECTOR_KEY_PREFIX: `${r.run}:det:`,
      CX_KPI_KEY_PREFIX: `${r.run}:kpi:`,
    };
    const workers = await Promise.all(
      (['detector', 'kpi', 'accruals'] as const).map(async (kind) => {
        const port = await freePort();
        return { kind, port, w: spawnCxg(['run', kind], { ...workerEnv, METRICS_PORT: String(port) }) };
      }),
    );
    const outputs = () => workers.map(({ kind, w }) => `${kind}: ${w.output().slice(-2000)}`).join('\n');
    try {
      for (const { port } of workers) {
        await eventually(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200 ? true : undefined), 90_000, `a worker ready on ${port}`).catch((err: Error) => {
          throw new Error(`${err.message}\n${outputs()}`);
        });
      }

      const pub = await runCxg(['publish', '--events', r.file, '--json'], { env });
      expect(pub.code, pub.stderr).toBe(0);
      const doc = JSON.parse(pub.stdout) as {
        topics: Array<{ topic: string; kafka_topic: string; records: number }>;
        sent: number;
        not_sent: Array<{ file: string; line: number; reason: string }>;
      };
      // every line is sent or reported by its file and line; those reported are the lines cxg
      // replay rejects for their shape (a record the rules reject is sent: the workers dead-letter it)
      const lines = r.records.map((x, i) => ({ line: i + 1, topic: x.topic, value: x.value }));
      const ref = replay(lines, { nowMs: Date.now() });
      const shape = new Set(['undecodable', 'unknown_topic', 'wrong_type', 'missing_field', 'unknown_enum', 'unknown_field']);
      const byLine = new Map<number, ReplayRejection>(ref.rejected.map((x) => [x.line, x]));
      expect(doc.sent + doc.not_sent.length).toBe(r.records.length);
      expect(doc.not_sent.length).toBeGreaterThan(0);
      for (const n of doc.not_sent) {
        expect(n.file).toBe(r.file);
        expect(byLine.get(n.line)?.reason, `line ${n.line}`).toBe(n.reason);
      }
      expect(ref.rejected.filter((x) => shape.has(x.reason)).map((x) => x.line)).toEqual(doc.not_sent.map((n) => n.line));
      expect(doc.topics).toEqual(
        [TOPICS.contacts, TOPICS.web, TOPICS.customers].map((t) => ({ topic: t, kafka_topic: `${prefix}${t.slice(3)}`, records: expect.any(Number) as number })),
      );

      // the workers catch up on the prefixed topics (the detector's signals included)
      const caught = async (group: string, topics: string[]) =>
        eventually(async () => ((await caughtUp(kafka, group, topics.map((t) => names.physical(t)))) ? true : undefined), 180_000, `${group} to catch up`).catch((err: Error) => {
          throw new Error(`${err.message}\n${outputs()}`);
        });
      await caught(`${r.run}-detector`, [TOPICS.contacts, TOPICS.web]);
      await caught(`${r.run}-kpi`, [TOPICS.contacts, TOPICS.web, TOPICS.signals]);
      await caught(`${r.run}-accruals`, [TOPICS.contacts, TOPICS.web, TOPICS.customers, TOPICS.signals]);
      // the rule-breaking records went to the run's DLQ, naming the run's Kafka topics
      const dlqSources = new Set<string>();
      await readToEnd(kafka, names.physical(TOPICS.dlq), (_p, m) => void dlqSources.add(m.headers?.['cx-source-topic']?.toString() ?? ''), { groupId: `${r.run}-probe-dlq` });
      expect([...dlqSources].every((t) => t.startsWith(prefix)), [...dlqSources].join(', ')).toBe(true);
      expect(dlqSources.size).toBeGreaterThan(0);
    } finally {
      for (const { w } of workers) {
        if (w.child.exitCode !== null || w.child.signalCode !== null) continue;
        const exited = new Promise((res) => w.child.once('exit', res));
        w.child.kill('SIGTERM');
        await exited;
      }
    }
    for (const { kind, w } of workers) expect(w.child.exitCode, `${kind}: ${w.output().slice(-2000)}`).toBe(0);

    // The workers read the partitions in another order than the file's, so a record that is late
    // in one is on time in the other: the same money then sits on a line in one ledger and in an
    // adjustment to it in the other. What the ledger holds per line (heldLines: the line plus its
    // adjustments) is the same, so that is compared, not lines and adjustments apart.
    const worker = await readLedger(`chdb://${dir}`, r);
    expect(worker.watermark).not.toBeNull();
    const reference = await replayLedger(r, worker.watermark!, NOW);
    expect(reference.watermark).toBe(worker.watermark);
    expect(worker.facts).toBe(reference.facts);
    expect(worker.lines.length).toBeGreaterThan(50);
    expect(heldLines(worker)).toEqual(heldLines(reference));

    // nothing of the run reached the default-named topics
    for (const t of [TOPICS.contacts, TOPICS.web, TOPICS.customers, TOPICS.signals, TOPICS.alerts, TOPICS.dlq]) {
      expect(await runRecordsOn(t, r.run, startedMs), t).toBe(0);
    }
  }, 600_000);
});
