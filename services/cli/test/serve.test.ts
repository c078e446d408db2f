/**
 * `cxg serve` as a user runs it, opened in headless Chromium: the KPIs of a real Redis (filled by
 * the kpi worker's own batch handler from the docs' example files, under a key prefix of this
 * test), a worker's metrics port (the workers' own metrics registry and health server), and an
 * embedded ClickHouse filled by `cxg replay` of the same files. Every figure on the page is
 * checked against `cxg kpis --json` and `cxg statement --format json`; a source that goes away is
 * shown down while the page keeps serving; hostile text stays text.
 *
 * Times come from the data (the stores' watermarks) and Redis's clock, never this machine's date.
 * CXG_UPDATE_SCREENSHOTS=1 also writes the screenshot the README shows (docs/images/status-page.png).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, detectionSettingsOf, kpiSettingsOf, replay, PROVIDER_KPIS } from '@cxg/engine';
import { createLogger, createMetrics, deleteKeys, loadContractsConfig, scanKeys, startHealthServer, type BatchContext } from '@cxg/platform';
import { partitionLog, redisNowMs } from '@cxg/platform/testing';
import { DEFAULT_KPI_TOPICS, KpiHandler, KpiKeys, RedisKpiStore, createKpiMetrics, type KpisDocument } from '@cxg/kpi';
import { readReplayFiles } from '../src/replay/ndjson.ts';
import { kpiText } from '../src/commands/kpis.ts';
import { statusPageHtml } from '../src/serve/page.ts';
import type { Status } from '../src/serve/status.ts';

const cxgBin = fileURLToPath(new URL('../bin/cxg.js', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const examples = join(repo, 'docs/examples');
const contractsFile = join(examples, 'contracts.yaml');
const files = [join(examples, 'timeline.ndjson'), join(examples, 'month.ndjson')];
const dir = mkdtempSync(join(tmpdir(), 'cxg-serve-'));
const db = `chdb://${join(dir, 'replay')}`;
const prefix = `cx:kpi:test:serve:${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}:`;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(redisUrl);
/** The alert the page must show BREACHED: as the kpi worker stores it (AlertStore, `<state>|<seq>`). */
const breachedKey = 'c-prov-a-2026|prov-a|repeat_rate|24h';

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cxgBin, ...args], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** `cxg serve` on a free port; resolves with its URL once it printed it. */
function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [cxgBin, 'serve', '--port', '0', ...args], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /status page: (\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, child, stderr: () => err });
    });
    child.once('close', (code) => reject(new Error(`cxg serve exited ${code}: ${err}`)));
  });
}

const children: ChildProcess[] = [];
const closed: Array<() => Promise<unknown>> = [];
let browser: Browser;
/** A worker's metrics port made of the workers' own parts, with figures the page must show. */
let detectorUrl: string;
let detectorServer: Awaited<ReturnType<typeof startHealthServer>>;
/** A port nothing listens on: the kpi worker is not running. */
let nothingUrl: string;

beforeAll(async () => {
  // The ledger: `cxg replay` of the example files into an embedded ClickHouse of this test.
  const r = await run(['replay', '--events', ...files, '--config', contractsFile, '--clickhouse', db, '--json']);
  expect(r.code, r.stderr).toBe(0);

  // The KPIs: the same files through the kpi worker's batch handler into Redis under `prefix`,
  // the signals from the engine's replay (what the detector would have sent). Redis's clock.
  const config = loadContractsConfig(contractsFile);
  const now = await redisNowMs(redis);
  const { records } = await readReplayFiles(files);
  const { signals } = replay(records, { nowMs: now, settings: detectionSettingsOf(config.detection) });
  const kpiInput = [
    ...records.filter((x) => x.topic === TOPICS.contacts || x.topic === TOPICS.web).map((x) => ({ topic: x.topic, partition: 0, value: x.value })),
    ...signals.map((s) => ({ topic: TOPICS.signals, partition: 0, value: s })),
  ];
  const handler = new KpiHandler({
    store: new RedisKpiStore(redis, { keys: new KpiKeys(prefix), dedupeTtlMs: 86_400_000 }),
    topics: DEFAULT_KPI_TOPICS,
    settings: kpiSettingsOf(config),
    allowedLatenessMs: config.detection.allowed_lateness_ms,
    metrics: createKpiMetrics(),
    log: createLogger('test', 'silent'),
    now: () => now,
  });
  for (const [, batch] of partitionLog(kpiInput)) {
    const ctx: BatchContext = { topic: batch[0]!.topic, partition: 0, nextOffset: String(batch.length), reject: () => {} };
    await handler.onBatch(batch, ctx);
  }
  await redis.hset(new KpiKeys(prefix).alerts(), breachedKey, 'BREACHED|1');
  // The worker stamps each partition's state with an epoch (docs/faults.md); without one the
  // readers take the partition as being rebuilt.
  await redis.set(new KpiKeys(prefix).epoch(0), 'serve-test');

  const metrics = createMetrics('detector');
  metrics.consumerLag.set({ topic: 'cx.contacts.v1', partition: '0' }, 7);
  metrics.consumerLag.set({ topic: 'cx.contacts.v1', partition: '1' }, 5);
  metrics.consumerLag.set({ topic: 'cx.web.v1', partition: '0' }, 3);
  metrics.dlq.inc({ topic: 'cx.contacts.v1', reason: 'invalid_field' }, 4);
  metrics.dlq.inc({ topic: 'cx.web.v1', reason: 'undecodable' }, 2);
  metrics.dependencyUp.set({ dependency: 'redis' }, 1);
  detectorServer = await startHealthServer({ port: 0, registry: metrics.registry, readiness: () => [] });
  detectorUrl = `http://127.0.0.1:${(detectorServer.address() as AddressInfo).port}`;
  const spare = await startHealthServer({ port: 0, registry: createMetrics('x').registry, readiness: () => [] });
  nothingUrl = `http://127.0.0.1:${(spare.address() as AddressInfo).port}`;
  await new Promise((res) => spare.close(res));

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
}, 180_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGTERM');
  await browser?.close();
  await new Promise((res) => (detectorServer ? detectorServer.close(res) : res(undefined)));
  for (const f of closed) await f();
  await deleteKeys(redis, await scanKeys(redis, `${prefix}*`));
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const cellsOf = (page: Page, sel: string) => page.$$eval(sel, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((c) => (c.textContent ?? '').trim())));

describe('cxg serve', () => {
  it('shows the KPIs, thresholds and alert state, the pipeline and the month-to-date ledger as cxg kpis and cxg statement print them; refreshes itself', async () => {
    // The statements first: while the page runs without an accruals worker it opens the directory
    // itself now and then, and chdb lets one process in at a time. The example files' months.
    const statements = new Map<string, { code: number | null; stdout: string; stderr: string }>();
    for (const c of loadContractsConfig(contractsFile).contracts) {
      for (const month of ['2026-10', '2026-11', '2026-12']) {
        statements.set(`${c.id} ${month}`, await run(['statement', '--clickhouse', db, '--contract', c.id, '--month', month, '--format', 'json']));
      }
    }
    const { url } = await serve(['--refresh', '1', '--config', contractsFile, '--clickhouse', db, '--prefix', prefix, '--detector', detectorUrl, '--kpi', nothingUrl, '--accruals', nothingUrl]);
    const kpisRun = await run(['kpis', '--window', 'all', '--json', '--prefix', prefix]);
    expect(kpisRun.code, kpisRun.stderr).toBe(0);
    const kpis = JSON.parse(kpisRun.stdout) as KpisDocument;
    expect(kpis.watermark).not.toBeNull();

    const page = await browser.newPage({ viewport: { width: 1240, height: 900 } });
    const requests: string[] = [];
    page.on('request', (q) => requests.push(new URL(q.url()).pathname));
    await page.goto(url, { waitUntil: 'load' });
    expect(await page.textContent('#kpi-watermark')).toBe(kpis.watermark_iso);
    expect(await page.$$eval('li.source', (ls) => ls.map((l) => [l.getAttribute('data-source'), l.getAttribute('data-up')])), (await page.textContent('ul.sources')) ?? '').toEqual([
      ['redis', 'true'],
      ['detector', 'true'],
      ['kpi', 'false'],
      ['accruals', 'false'],
      ['ledger', 'true'],
    ]);

    // Every KPI cell of every window: value, sample and the text `cxg kpis` prints.
    for (const [w, table] of Object.entries(kpis.windows)) {
      const expected = Object.entries(table!.providers).flatMap(([p, readings]) =>
        PROVIDER_KPIS.map((k) => [p, k, readings[k].value === null ? '' : String(readings[k].value), String(readings[k].sample), `${kpiText(k, readings[k].value)}n=${readings[k].sample}`]),
      );
      if (w !== '1h') expect(expected.length).toBeGreaterThan(0); // the last hour may hold no contact
      const shown = await page.$$eval(`table.kpis[data-window="${w}"] td.kpi`, (cs) =>
        cs.map((c) => [c.getAttribute('data-provider'), c.getAttribute('data-kpi'), c.getAttribute('data-value'), c.getAttribute('data-sample'), (c.textContent ?? '').trim()]),
      );
      expect(shown).toEqual(expected);
    }
    // The threshold of docs/examples/contracts.yaml, with the state stored in Redis and the 24h reading.
    const repeat = kpis.windows['24h']!.providers['prov-a']!.repeat_rate;
    expect(await cellsOf(page, 'table.thresholds tbody tr')).toEqual([
      ['prov-a', 'c-prov-a-2026', 'repeat_rate', '24h', '≤ 0.25', kpiText('repeat_rate', repeat.value), `${repeat.sample} / 50`, 'BREACHED'],
    ]);
    expect(await page.$$('td.kpi.breached[data-provider="prov-a"][data-kpi="repeat_rate"][data-window="24h"]')).toHaveLength(1);

    // The pipeline: the detector's figures from its metrics port; the others down, saying why.
    const rows = await cellsOf(page, 'table.pipeline tbody tr');
    expect(rows[0]!.slice(0, 7)).toEqual(['detector', 'ready', '15', 'cx.contacts.v1 12, cx.web.v1 3', '6', 'invalid_field 4 (cx.contacts.v1), undecodable 2 (cx.web.v1)', 'redis up']);
    expect(rows[1]!.slice(0, 3)).toEqual(['kpi', 'down', '–']);
    expect(rows[1]![7]).toContain(`no answer at ${nothingUrl}`);

    // The ledger: each contract's month of the watermark as `cxg statement --format json` prints it.
    const sections = await page.$$eval('section.contract', (ss) => ss.map((x) => [x.getAttribute('data-contract'), x.getAttribute('data-month')]));
    expect(sections.length).toBeGreaterThan(0);
    let charted = 0;
    for (const [contract, month] of sections as Array<[string, string]>) {
      const st = statements.get(`${contract} ${month}`)!;
      const sel = `section.contract[data-contract="${contract}"]`;
      if (st.code === 1) {
        expect(await page.textContent(`${sel} p.empty`)).toContain('No ledger lines');
        continue;
      }
      expect(st.code, st.stderr).toBe(0);
      const doc = JSON.parse(st.stdout) as { total_cents: number; lines: Array<{ date: string; amount_cents: number }>; totals: Array<{ line_type: string; channel: string | null; amount_cents: number }> };
      expect(await page.getAttribute(sel, 'data-total-cents')).toBe(String(doc.total_cents));
      const days = new Map<string, number>();
      for (const l of doc.lines) days.set(l.date, (days.get(l.date) ?? 0) + l.amount_cents);
      const marks = await page.$$eval(`${sel} svg.chart rect.mark`, (rs) => rs.map((x) => [x.getAttribute('data-date'), Number(x.getAttribute('data-cents'))]));
      expect(marks).toEqual([...days].sort(([a], [b]) => (a < b ? -1 : 1)));
      charted += marks.length;
      const totals = await page.$$eval(`${sel} table.totals tbody tr`, (rs) => rs.map((x) => [x.getAttribute('data-line-type'), x.getAttribute('data-channel'), Number(x.getAttribute('data-cents'))]));
      expect(totals).toEqual(doc.totals.filter((t) => t.amount_cents !== 0).map((t) => [t.line_type, t.channel ?? '', t.amount_cents]));
    }
    expect(charted).toBeGreaterThan(0);

    // It refreshes itself: a worker going away shows as down on the open page, without a reload.
    const before = await page.textContent('#read-at');
    await page.screenshot({ path: join(shots(), 'status-page.png'), fullPage: true });
    await new Promise((res) => detectorServer.close(res));
    await page.waitForSelector('li.source[data-source="detector"][data-up="false"]', { timeout: 15_000 });
    expect(await page.textContent('#read-at')).not.toBe(before);
    expect(requests.filter((p) => p === '/api/status').length).toBeGreaterThan(0);
    expect(new Set(requests)).toEqual(new Set(['/', '/app.js', '/api/status']));
    await page.close();
  }, 120_000);

  it('keeps serving with Redis, every worker and ClickHouse away, naming each', async () => {
    const { url } = await serve(['--config', contractsFile, '--clickhouse', 'http://127.0.0.1:1/db', '--detector', nothingUrl, '--kpi', nothingUrl, '--accruals', nothingUrl], { REDIS_URL: 'redis://127.0.0.1:1' });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${url}api/status`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { sources: Record<string, { up: boolean; error: string | null }> };
      expect(Object.fromEntries(Object.entries(body.sources).map(([k, v]) => [k, v.up]))).toEqual({ redis: false, detector: false, kpi: false, accruals: false, ledger: false });
      expect(body.sources.redis!.error).toContain('cannot reach Redis at redis://127.0.0.1:1');
      expect(body.sources.ledger!.error).toBeTruthy();
    }
    const page = await browser.newPage();
    await page.goto(url);
    expect(await page.textContent('main')).toContain('KPIs unavailable: cannot reach Redis');
    expect(await page.textContent('main')).toContain('Ledger unavailable');
    await page.close();
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
  }, 60_000);

  it('renders hostile text as text', async () => {
    const bad = `<img src=x onerror="document.title='owned'"><b>&"x'</b>`;
    const status: Status = {
      read_at: bad,
      kpis: { up: false, prefix: bad, error: bad },
      pipeline: [{ worker: 'detector', url: bad, up: false, error: bad, ready: null, ready_reasons: [], lag: {}, lag_total: 0, dlq: [], dlq_total: 0, dependencies: {} }],
      ledger: { up: true, via: 'clickhouse', where: bad, watermark_ms: 0, contracts: [{ contract_id: bad, provider_id: bad, month: '2026-02', statement: null }] },
    };
    const page = await browser.newPage();
    await page.setContent(statusPageHtml(status, 5000));
    expect(await page.$$('main img')).toHaveLength(0);
    expect(await page.$$eval('main b', (bs) => bs.map((b) => b.textContent))).toEqual(['redis', 'detector', 'ledger']);
    expect(await page.textContent('#read-at')).toBe(bad);
    expect(await page.getAttribute('section.contract', 'data-contract')).toBe(bad);
    expect(await page.textContent('section.contract h3')).toContain(bad);
    expect(await page.textContent('li.source[data-source="redis"] .why')).toBe(bad);
    expect(await page.title()).toBe('cx-gainshare status');
    await page.close();
  }, 60_000);
});

/** Where screenshots go: .cxg/test-results; with CXG_UPDATE_SCREENSHOTS=1 also the README's copy. */
function shots(): string {
  const out = join(repo, '.cxg/test-results');
  mkdirSync(out, { recursive: true });
  if (process.env.CXG_UPDATE_SCREENSHOTS === '1') {
    closed.push(async () => {
      mkdirSync(join(repo, 'docs/images'), { recursive: true });
      copyFileSync(join(out, 'status-page.png'), join(repo, 'docs/images/status-page.png'));
    });
  }
  return out;
}
