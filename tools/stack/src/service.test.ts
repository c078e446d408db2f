// The one service lifecycle, driven by a descriptor whose "JVM" is a small node HTTP server: start,
// health, reuse, a lost pid file, a port taken by someone else, stop. No Java, no fixed ports.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ArtifactPaths } from './artifacts.ts';
import { isAlive, isZombie, terminate } from './proc.ts';
import { serviceDown, servicePaths, servicePid, serviceStatus, serviceUp, type ServiceDescriptor } from './service.ts';
import type { StackContext } from './types.ts';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s: Server = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const state = mkdtempSync(join(tmpdir(), 'cxg-service-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

async function setup() {
  const port = await freePort();
  const lines: string[] = [];
  const ctx: StackContext = {
    root: state,
    state,
    logs: join(state, 'logs'),
    env: { KAFKA_BROKERS: `127.0.0.1:${port}`, SCHEMA_REGISTRY_URL: '', REDIS_URL: '', CLICKHOUSE_URL: '' },
    ports: { kafka: port, kafkaController: 1, kafkaSasl: 1, registry: 1, registryManagement: 1, redis: 1 },
    managed: { kafka: true, registry: false, redis: false },
    timeoutMs: 20_000,
    log: (l) => lines.push(l),
  };
  const server = `require('node:http').createServer((q, r) => r.end('ok')).listen(${port}, '127.0.0.1')`;
  const svc: ServiceDescriptor = {
    name: 'kafka',
    variable: 'KAFKA_BROKERS',
    title: () => 'a test server',
    processName: 'the test server',
    java: { min: 0, hint: 'no java' },
    downloaded: () => true,
    outLog: 'test.out',
    stopGraceMs: 5_000,
    ports: (c) => [{ key: 'http', port: c.ports.kafka, what: 'test server', variable: 'CXG_KAFKA_PORT' }],
    endpoint: (c) => ({ url: c.env.KAFKA_BROKERS, host: '127.0.0.1', port: c.ports.kafka }),
    async probe(c) {
      const res = await fetch(`http://127.0.0.1:${c.ports.kafka}/`, { signal: AbortSignal.timeout(1000) });
      return `answers ${res.status}`;
    },
    // the marker goes after `--`, where node leaves it in argv, as a JVM keeps its -D options
    prepare: (_c, p) => ['-e', server, '--', p.marker],
  };
  const java = () => ({ bin: process.execPath, major: 0, version: process.version });
  const artifacts = async () => ({}) as ArtifactPaths;
  return { ctx, svc, java, artifacts, lines, port };
}

describe('service lifecycle (one path for Kafka and the registry)', () => {
  it('starts, reports, reuses, survives a lost pid file, and stops what it started', async () => {
    const { ctx, svc, java, artifacts, lines } = await setup();
    expect((await serviceStatus(ctx, svc)).state).toBe('down');

    const first = await serviceUp(ctx, svc, java, artifacts);
    expect(first.result).toBe('started');
    expect(lines.some((l) => /^kafka: starting a test server \(pid \d+, Java 0\)/.test(l))).toBe(true);
    expect(lines.some((l) => /^kafka: healthy after [\d.]+ s \(answers 200\)$/.test(l))).toBe(true);
    expect(await serviceStatus(ctx, svc)).toMatchObject({ state: 'healthy', pid: first.pid, startedByUs: true, detail: 'answers 200' });

    expect(await serviceUp(ctx, svc, java, artifacts)).toEqual({ result: 'running', pid: first.pid });

    // the pid file goes, the process stays: up still knows it by its marker, down does not touch it
    rmSync(servicePaths(ctx, svc).pidFile);
    expect(servicePid(ctx, svc)).toBeUndefined();
    expect(await serviceUp(ctx, svc, java, artifacts)).toEqual({ result: 'running', pid: first.pid });
    expect(lines.some((l) => l.includes('its pid file is gone'))).toBe(true);
    expect(await serviceDown(ctx, svc)).toBe('not ours');
    expect(isAlive(first.pid)).toBe(true);
    await terminate(first.pid, 5_000);

    const second = await serviceUp(ctx, svc, java, artifacts);
    expect(second.result).toBe('started');
    expect(await serviceDown(ctx, svc)).toBe('stopped');
    // gone, or a zombie until this test process (its parent) reaps it
    expect(isAlive(second.pid) && !isZombie(second.pid)).toBe(false);
    expect(existsSync(servicePaths(ctx, svc).pidFile)).toBe(false);
    expect((await serviceStatus(ctx, svc)).state).toBe('down');
  });

  it('refuses a port that someone else holds, naming the variable that moves it', async () => {
    const { ctx, svc, java, artifacts, port } = await setup();
    const other = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => other.once('listening', r));
    try {
      await expect(serviceUp(ctx, svc, java, artifacts)).rejects.toThrow(
        new RegExp(`port ${port} \\(test server\\) is already in use by .* that \`cxg stack\` did not start; stop it, or set CXG_KAFKA_PORT`),
      );
      expect((await serviceStatus(ctx, svc)).state).toBe('unhealthy');
    } finally {
      other.close();
    }
  });
});
