// Alerts on the real Redis: transitions only, deterministic ids across a crash between produce and
// state write, state and gauge surviving a restart; webhook delivery with retries against a local server.
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { foldBuckets, parseContractsConfig, type AlertMemory, type KpiAlert } from '@cxg/engine';
import { createLogger } from '@cxg/platform';
import { AlertStore, AlertWebhook, Alerter, KpiKeys, createKpiMetrics, type WindowCounters } from '../src/index.ts';
import { deleteKeys } from './support.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `cx:kpi:test:alerts:${Date.now().toString(36)}:`;
afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});
const log = createLogger('test', 'silent');

const config = parseContractsConfig(
  `
timezone: Europe/Berlin
contracts:
  - id: c-a
    provider_id: prov-a
    valid_from: 2026-01-01
    valid_to: 2026-12-31
    kpi_thresholds:
      - {kpi: abandon_rate, max: 0.10, window: 1h, min_samples: 20, clear_margin: 0.02}
`,
  'test.yaml',
);
const WM = Date.UTC(2026, 10, 3, 10);

/** 1h counters of prov-a with `abandoned` of `offered` contacts. */
const counters = (abandoned: number, offered: number): WindowCounters => ({
  watermarkMs: WM,
  windows: new Map([['1h', foldBuckets([{ 'prov-a|offered': String(offered), 'prov-a|abandoned': String(abandoned) }])]]),
  rebuilding: [],
});

function alerter(store: AlertStore, sent: KpiAlert[], metrics = createKpiMetrics()) {
  return {
    metrics,
    alerter: new Alerter({ store, contracts: config.contracts, emit: async (a) => void sent.push(...a), webhook: null, metrics, log }),
  };
}

const gauge = async (metrics: ReturnType<typeof createKpiMetrics>) =>
  (await metrics.breached.get()).values.map((v) => [v.labels.contract, v.labels.kpi, v.labels.window, v.value]);

describe('Alerter on real Redis', () => {
  it('emits transitions only, re-sends the same alert_id after a crash before the state write, and survives a restart', async () => {
    const keys = new KpiKeys(`${prefix}a:`);
    const sent: KpiAlert[] = [];
    const a = alerter(new AlertStore(redis, keys), sent);
    expect(await a.alerter.evaluate(counters(1, 10))).toEqual([]); // 10 % but only 10 samples
    expect(await a.alerter.evaluate(counters(5, 19))).toEqual([]); // bad, still under min_samples
    expect(await gauge(a.metrics)).toEqual([['c-a', 'abandon_rate', '1h', 0]]);

    // crash between produce and state write
    class Crashing extends AlertStore {
      override async set(): Promise<boolean> {
        throw new Error('simulated crash');
      }
    }
    const crashed = alerter(new Crashing(redis, keys), sent);
    await expect(crashed.alerter.evaluate(counters(5, 40))).rejects.toThrow('simulated crash');
    expect(sent.map((s) => s.alert_id)).toEqual(['c-a|prov-a|abandon_rate|1h|1']);

    // restart: the same transition again, under the same id, then stored
    const b = alerter(new AlertStore(redis, keys), sent);
    const breached = await b.alerter.evaluate(counters(5, 40));
    expect(breached).toEqual([
      { alert_id: 'c-a|prov-a|abandon_rate|1h|1', provider_id: 'prov-a', contract_id: 'c-a', kpi: 'abandon_rate', window: '1h', state: 'BREACHED', value: 0.125, bound: 0.1, sample: 40, at: WM },
    ]);
    expect(await gauge(b.metrics)).toEqual([['c-a', 'abandon_rate', '1h', 1]]);
    expect(await b.alerter.evaluate(counters(5, 50))).toEqual([]); // 0.10: inside, but not by the 0.02 margin

    // another restart keeps BREACHED (gauge 1 from Redis state) and recovers at 0.08
    const c = alerter(new AlertStore(redis, keys), sent);
    expect(await c.alerter.evaluate(counters(4, 45))).toEqual([]); // 0.0889 > 0.08
    expect(await gauge(c.metrics)).toEqual([['c-a', 'abandon_rate', '1h', 1]]);
    expect((await c.alerter.evaluate(counters(4, 50))).map((x) => [x.alert_id, x.state])).toEqual([['c-a|prov-a|abandon_rate|1h|2', 'RECOVERED']]);
    expect(await gauge(c.metrics)).toEqual([['c-a', 'abandon_rate', '1h', 0]]);
    expect(sent.map((s) => `${s.alert_id} ${s.state}`)).toEqual([
      'c-a|prov-a|abandon_rate|1h|1 BREACHED',
      'c-a|prov-a|abandon_rate|1h|1 BREACHED',
      'c-a|prov-a|abandon_rate|1h|2 RECOVERED',
    ]);
  });

  it('stores a transition once when two members race (compare-and-set)', async () => {
    const keys = new KpiKeys(`${prefix}b:`);
    const store = new AlertStore(redis, keys);
    const next: AlertMemory = { state: 'BREACHED', seq: 1 };
    expect(await store.set('k', undefined, next)).toBe(true);
    expect(await store.set('k', undefined, next)).toBe(false);
    expect(await store.set('k', next, { state: 'OK', seq: 2 })).toBe(true);
    expect(await store.memory()).toEqual(new Map([['k', { state: 'OK', seq: 2 }]]));
  });
});

describe('AlertWebhook', () => {
  const alert: KpiAlert = { alert_id: 'x|1', provider_id: 'p', contract_id: 'c', kpi: 'abandon_rate', window: '1h', state: 'BREACHED', value: 0.2, bound: 0.1, sample: 30, at: WM };

  async function serve(answer: (n: number) => number | null): Promise<{ server: Server; url: string; bodies: unknown[] }> {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        bodies.push(JSON.parse(body));
        const status = answer(bodies.length);
        if (status !== null) res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, bodies };
  }

  it('retries failures with backoff and stops at the first success', async () => {
    const { server, url, bodies } = await serve((n) => (n < 3 ? 503 : 204));
    const hook = new AlertWebhook({ url, log, backoffMs: 10 });
    hook.send(alert);
    await hook.drain(5000);
    expect(bodies).toEqual([alert, alert, alert]);
    server.close();
  });

  it('gives up after 3 retries, each attempt bounded by the timeout, and logs it', async () => {
    const { server, url, bodies } = await serve(() => null); // never answers
    const warned: unknown[] = [];
    const hook = new AlertWebhook({ url, log: { warn: (o: unknown) => warned.push(o) } as unknown as typeof log, backoffMs: 5, timeoutMs: 100 });
    hook.send(alert);
    await hook.drain(5000);
    expect(bodies).toHaveLength(4);
    expect(warned).toEqual([expect.objectContaining({ alert_id: 'x|1', attempts: 4 })]);
    server.closeAllConnections();
    server.close();
  });
});
