import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import { readEndpoints } from '../src/env.ts';
import { createMetrics } from '../src/metrics.ts';
import { WorkerSettingsError, readWorkerSettings } from '../src/settings.ts';
import { Lifetime, startWorker, type WorkerIo, type WorkerParts } from '../src/worker.ts';

describe('Lifetime', () => {
  it('releases last-opened first, every release even when some fail, then one AggregateError naming each', async () => {
    const released: string[] = [];
    const life = new Lifetime('test worker');
    for (const what of ['producer', 'redis', 'clickhouse', 'consumer']) {
      life.own(what, what, (w) => {
        released.push(w);
        if (w === 'consumer' || w === 'redis') throw new Error(`${w} broke`);
      });
    }
    const err = await life.release().catch((e: unknown) => e);
    expect(released).toEqual(['consumer', 'clickhouse', 'redis', 'producer']);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(['consumer: consumer broke', 'redis: redis broke']);
    expect((err as AggregateError).message).toBe('test worker: releasing failed (consumer: consumer broke; redis: redis broke)');
    await life.release(); // nothing is held twice
    expect(released).toHaveLength(4);
  });
});

/** Stand-ins for what start connects, recording what is released. */
function fakes(fail: { producerDisconnect?: boolean; runnerStart?: boolean; runnerStop?: boolean } = {}) {
  const events: string[] = [];
  const io: WorkerIo = {
    createProducer: async () =>
      ({
        disconnect: async () => {
          events.push('producer disconnected');
          if (fail.producerDisconnect) throw new Error('broker gone');
        },
      }) as unknown as Producer,
    createRedis: () => ({ disconnect: () => void events.push('redis disconnected') }) as unknown as Redis,
    createRunner: () => ({
      brokerHealth: () => null,
      stateHealth: () => null,
      fatal: new Promise<Error>(() => undefined),
      start: async () => {
        events.push('runner started');
        if (fail.runnerStart) throw new Error('group coordinator unreachable');
      },
      stop: async () => {
        events.push('runner stopped');
        if (fail.runnerStop) throw new Error('commit failed');
      },
    }),
  };
  return { events, io };
}

const endpoints = readEndpoints({ LOG_LEVEL: 'silent' });
const settings = readWorkerSettings({});

function parts(extra: Partial<WorkerParts> = {}): WorkerParts {
  return { topics: ['t'], handler: { onBatch: async () => undefined }, metrics: createMetrics('test'), health: {}, log: { message: 'test started' }, ...extra };
}

describe('startWorker', () => {
  it('stop releases the consumer, the server, what the worker opened and the producer, even when steps fail', async () => {
    const { events, io } = fakes({ producerDisconnect: true, runnerStop: true });
    const worker = await startWorker(
      {
        name: 'accruals',
        endpoints,
        settings,
        metricsPort: 0,
        build: async (ctx) => {
          ctx.redis();
          ctx.own('clickhouse', 'ledger', () => void events.push('clickhouse closed'));
          return parts({ started: () => void events.push('started hook') });
        },
      },
      io,
    );
    expect(worker.server.listening).toBe(true);
    expect(events).toEqual(['runner started', 'started hook']);
    const err = await worker.stop().catch((e: unknown) => e);
    expect(events.slice(2)).toEqual(['runner stopped', 'clickhouse closed', 'redis disconnected', 'producer disconnected']);
    expect(worker.server.listening).toBe(false);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(['consumer: commit failed', 'kafka producer: broker gone']);
    // a second stop is the same stop
    await expect(worker.stop()).rejects.toBe(err);
    expect(events).toHaveLength(6);
  });

  it('a build that fails releases what was opened so far and rethrows its own error', async () => {
    const { events, io } = fakes();
    const failure = new Error('cannot open the ledger');
    await expect(
      startWorker(
        {
          name: 'kpi',
          endpoints,
          settings,
          metricsPort: 0,
          build: async (ctx) => {
            ctx.redis();
            throw failure;
          },
        },
        io,
      ),
    ).rejects.toBe(failure);
    expect(events).toEqual(['redis disconnected', 'producer disconnected']);
  });

  it('a runner that fails to start is stopped, and the server closed, with everything else', async () => {
    const { events, io } = fakes({ runnerStart: true });
    const port = await freePort();
    const started = startWorker({ name: 'detector', endpoints, settings, metricsPort: port, build: async (ctx) => (ctx.redis(), parts()) }, io);
    await expect(started).rejects.toThrow('group coordinator unreachable');
    expect(events).toEqual(['runner started', 'runner stopped', 'redis disconnected', 'producer disconnected']);
    expect(await canListen(port)).toBe(true); // the health server let go of its port
  });

  it('refuses bad settings before it opens anything', async () => {
    const { events, io } = fakes();
    const before = process.env.CX_IDLE_GRACE_MS;
    process.env.CX_IDLE_GRACE_MS = '5s';
    try {
      await expect(startWorker({ name: 'detector', endpoints, build: async () => parts() }, io)).rejects.toThrow(WorkerSettingsError);
    } finally {
      if (before === undefined) delete process.env.CX_IDLE_GRACE_MS;
      else process.env.CX_IDLE_GRACE_MS = before;
    }
    expect(events).toEqual([]);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => resolve(true));
  });
  if (ok) await new Promise((resolve) => server.close(resolve));
  return ok;
}
