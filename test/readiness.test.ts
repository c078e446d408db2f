// /readyz and the outage metrics of a worker whose Redis stops answering (SIGSTOP) and comes back:
// 503 naming Redis within two probes, each answer within 1 s, 200 again after, one outage counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedis } from './redis-server.ts';
import { Supervised } from './supervised.ts';
import { eventually, freePort, metric, runId } from './helpers.ts';

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
});
afterAll(async () => {
  await redis?.kill();
});

describe('readiness', () => {
  it('says 503 while Redis does not answer and 200 when it is back, and counts the outage', async () => {
    const worker = new Supervised('detector', await freePort(), { REDIS_URL: redis.url, LOG_LEVEL: 'warn', CX_DETECTOR_GROUP: runId('readiness') });
    try {
      await eventually(async () => ((await worker.readyz()).status === 200 ? true : undefined), 60_000, 'the detector ready');
      redis.pause();
      const during: Array<{ status: number; ms: number; body: unknown }> = [];
      try {
        for (let i = 0; i < 5; i++) {
          await new Promise((r) => setTimeout(r, 1000));
          during.push(await worker.readyz());
        }
      } finally {
        redis.resume();
      }
      expect(Math.max(...during.map((p) => p.ms))).toBeLessThan(1000);
      expect(during.slice(1).map((p) => p.status)).toEqual([503, 503, 503, 503]);
      expect(during[4]!.body).toEqual({ status: 'not ready', reasons: ['redis: no answer within 800 ms'] });
      await eventually(async () => ((await worker.readyz()).status === 200 ? true : undefined), 10_000, 'ready again');
      expect(await metric(worker.port, 'cx_outages_total', 'dependency="redis"')).toBe(1);
      expect(await metric(worker.port, 'cx_dependency_up', 'dependency="redis"')).toBe(1);
    } finally {
      expect(await worker.stop()).toBe(0);
    }
  });
});
