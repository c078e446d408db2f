// Every query of the provisioned Grafana boards runs against the real engines: PromQL against a real
// Prometheus (Debian package `prometheus`) scraping the three running workers, SQL against ClickHouse
// migrated by the accruals code. A renamed metric, label, table or column fails here, not on a board.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@cxg/engine';
import { createProducer, groupAtLogEnd, initTopics, produceRecords, readEndpoints } from '@cxg/platform';
import { openLedger } from '@cxg/ledger';
import { simulate, withIdPrefix } from '@cxg/simulator';
import { targetsOf } from '@cxg/grafana';
import { eventually, kafkaFor, runId, serdeFor, spawnCxg } from './helpers.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const boards = ['operations', 'pipeline-health', 'finance'].map((name) => ({
  name,
  targets: targetsOf(JSON.parse(readFileSync(join(root, 'infra/grafana/dashboards', `${name}.json`), 'utf8'))),
}));
const promql = boards.flatMap((b) => b.targets.filter((t) => t.target.expr).map((t) => ({ where: `${b.name}: ${t.panel.title} ${t.target.refId}`, q: t.target.expr! })));
const sql = boards.flatMap((b) => b.targets.filter((t) => t.target.rawSql).map((t) => ({ where: `${b.name}: ${t.panel.title} ${t.target.refId}`, q: t.target.rawSql! })));

/** Grafana's template variables with a value each, as a user picking "All" would send them ($__range: the time range). */
const substitute = (q: string) =>
  q
    .replaceAll('$__range', '1h')
    .replaceAll('$provider', '.*')
    .replaceAll('$family', '.*')
    .replaceAll('$worker', 'detector|kpi|accruals')
    .replaceAll('$window', '24h')
    .replaceAll('$__all', '.*');

const PORTS = { detector: 19_431, kpi: 19_432, accruals: 19_433, prometheus: 19_490 };

/** The series of an instant PromQL query. */
async function instant(q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = (await fetch(`http://127.0.0.1:${PORTS.prometheus}/api/v1/query?query=${encodeURIComponent(q)}`).then((r) => r.json())) as {
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  return res.data.result;
}
const workers: Array<{ child: ChildProcess }> = [];
let prometheus: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cxg-dash-'));

beforeAll(async () => {
  const run = runId('dash');
  const kafka = kafkaFor('test-dashboards');
  const serde = serdeFor();
  await initTopics(kafka, serde, readEndpoints().partitions);
  const groups = { detector: `${run}-detector`, kpi: `${run}-kpi`, accruals: `${run}-accruals` };
  await groupAtLogEnd(kafka, groups.detector, [TOPICS.contacts, TOPICS.web]);
  await groupAtLogEnd(kafka, groups.kpi, [TOPICS.contacts, TOPICS.web, TOPICS.signals]);
  await groupAtLogEnd(kafka, groups.accruals, [TOPICS.contacts, TOPICS.web, TOPICS.customers, TOPICS.signals]);
  const common = { LOG_LEVEL: 'warn', CX_KPI_REFRESH_MS: '500', CX_KPI_KEY_PREFIX: `${run}:kpi:` };
  workers.push(spawnCxg(['run', 'detector'], { ...common, METRICS_PORT: String(PORTS.detector), CX_DETECTOR_GROUP: groups.detector }));
  workers.push(spawnCxg(['run', 'kpi'], { ...common, METRICS_PORT: String(PORTS.kpi), CX_KPI_GROUP: groups.kpi }));
  workers.push(
    spawnCxg(['run', 'accruals'], { ...common, METRICS_PORT: String(PORTS.accruals), CX_ACCRUALS_GROUP: groups.accruals, CLICKHOUSE_URL: `chdb://${join(dir, 'worker-ch')}` }),
  );
  for (const port of [PORTS.detector, PORTS.kpi, PORTS.accruals]) {
    await eventually(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok ? true : undefined), 90_000, `worker on ${port} ready`);
  }
  // A little traffic so the metrics have series to return.
  const producer = await createProducer(kafka);
  const records = [...simulate({ seed: 9, customers: 200, providers: 3, days: 2, nowMs: Date.now(), issueRate: 0.6 })].map((r) => withIdPrefix(r, run));
  await produceRecords(producer, serde, records);
  await producer.disconnect();

  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: {scrape_interval: 1s, evaluation_interval: 1s}',
      `rule_files: ['${join(root, 'infra/prometheus/rules')}/*.rules.yml']`,
      'scrape_configs:',
      ...(['detector', 'kpi', 'accruals'] as const).map((w) => `  - {job_name: ${w}, static_configs: [{targets: ['127.0.0.1:${PORTS[w]}']}]}`),
      '',
    ].join('\n'),
  );
  prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${PORTS.prometheus}`], { stdio: 'ignore' });
  await eventually(async () => ((await fetch(`http://127.0.0.1:${PORTS.prometheus}/-/ready`).catch(() => null))?.ok ? true : undefined), 60_000, 'prometheus ready');
  // Several scrapes of every worker, so rate() and deriv() have points.
  await eventually(async () => {
    const r = (await fetch(`http://127.0.0.1:${PORTS.prometheus}/api/v1/query?query=${encodeURIComponent('count_over_time(up[1m])')}`).then((x) => x.json())) as {
      data: { result: Array<{ value: [number, string] }> };
    };
    return r.data.result.length === 3 && r.data.result.every((s) => Number(s.value[1]) >= 5) ? true : undefined;
  }, 60_000, 'five scrapes of each worker');
}, 240_000);

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => (w.child.exitCode !== null ? r(null) : w.child.once('exit', r)))));
});

describe('Grafana boards', () => {
  it('have PromQL and SQL queries to check', () => {
    expect(promql.length).toBeGreaterThan(20);
    expect(sql.length).toBeGreaterThan(3);
  });

  it('every PromQL query runs without error on a Prometheus scraping the workers', async () => {
    const failures: string[] = [];
    let withData = 0;
    for (const { where, q } of promql) {
      const res = (await fetch(`http://127.0.0.1:${PORTS.prometheus}/api/v1/query?query=${encodeURIComponent(substitute(q))}`).then((r) => r.json())) as {
        status: string;
        error?: string;
        data?: { result: unknown[] };
      };
      if (res.status !== 'success') failures.push(`${where}: ${res.error}\n    ${substitute(q)}`);
      else if ((res.data?.result.length ?? 0) > 0) withData++;
    }
    expect(failures).toEqual([]);
    // Most panels show live series: the workers' own metrics are there.
    expect(withData).toBeGreaterThan(promql.length / 2);
  });

  it('pipeline series carry the worker name the boards filter on ($worker = detector|kpi|accruals)', async () => {
    await eventually(async () => {
      const res = (await fetch(`http://127.0.0.1:${PORTS.prometheus}/api/v1/query?query=${encodeURIComponent('count by (worker) (cx_batch_duration_seconds_count)')}`).then((r) => r.json())) as {
        data: { result: Array<{ metric: { worker: string } }> };
      };
      const workers = res.data.result.map((r) => r.metric.worker).sort();
      return workers.join() === 'accruals,detector,kpi' ? true : undefined;
    }, 30_000, 'batch durations of all three workers under their names');
  });

  it('lag per partition names one owning group member per partition, of the worker that reads it', async () => {
    const { q } = promql.find((p) => p.where.startsWith('pipeline-health: Consumer lag per partition and owner '))!;
    await eventually(async () => {
      const rows = await instant(substitute(q));
      const workers = new Set(rows.map((r) => r.metric.worker));
      if (workers.size < 3) return undefined;
      for (const r of rows) expect(r.metric.member).toMatch(new RegExp(`^cx-${r.metric.worker}-`));
      const partitions = rows.map((r) => `${r.metric.worker} ${r.metric.topic} ${r.metric.partition}`);
      expect(new Set(partitions).size).toBe(partitions.length);
      return true;
    }, 30_000, 'lag rows with their owner for all three workers');
  });

  it('alert state per provider has a lane per provider with a contract threshold', async () => {
    const { q } = promql.find((p) => p.where.startsWith('operations: Alert state per provider '))!;
    const providers = (await instant('group by (provider) (cx_kpi_breached)')).map((r) => r.metric.provider).sort();
    expect(providers.length).toBeGreaterThan(0);
    const lanes = await instant(substitute(q));
    expect(lanes.map((r) => r.metric.provider).sort()).toEqual(providers);
    for (const r of lanes) expect(['0', '1', '2']).toContain(r.value[1]);
  });

  it('every SQL query runs without error on ClickHouse migrated by the accruals code', async () => {
    const client = await openLedger(`chdb://${join(dir, 'sql-ch')}`);
    const failures: string[] = [];
    try {
      for (const { where, q } of sql) {
        try {
          await (await client.query({ query: substitute(q), format: 'JSONEachRow' })).json();
        } catch (err) {
          failures.push(`${where}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    } finally {
      await client.close();
    }
    expect(failures).toEqual([]);
  });
});
