// The health monitor behind /readyz: it answers from the last probe, a hanging check counts as down
// within its timeout, and a check not probed yet counts as down (a restarted worker is not ready
// before it has seen each dependency answer; its first join can take a whole session timeout).
import { describe, expect, it } from 'vitest';
import { HealthMonitor, probe } from '../src/health.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';

const log = createLogger('test', 'silent');

describe('HealthMonitor', () => {
  it('reports every check as not probed yet before the first probe, then the probes', async () => {
    const metrics = createMetrics('test');
    let redisUp = true;
    const monitor = new HealthMonitor({ kafka: async () => 'not a member of the consumer group', redis: async () => (redisUp ? null : 'ECONNREFUSED') }, { metrics, log });
    expect(monitor.down()).toEqual(['kafka: not probed yet', 'redis: not probed yet']);
    await monitor.probeAll();
    expect(monitor.down()).toEqual(['kafka: not a member of the consumer group']);
    redisUp = false;
    await monitor.probeAll();
    expect(monitor.down()).toEqual(['kafka: not a member of the consumer group', 'redis: ECONNREFUSED']);
    expect((await metrics.registry.getSingleMetric('cx_outages_total')!.get()).values.map((v) => [v.labels.dependency, v.value])).toEqual([
      ['kafka', 1],
      ['redis', 1],
    ]);
  });

  it('counts a check that does not answer as down within its timeout', async () => {
    const t = Date.now();
    expect(await probe(() => new Promise(() => undefined), 50)).toBe('no answer within 50 ms');
    expect(Date.now() - t).toBeLessThan(500);
  });
});
