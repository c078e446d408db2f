// The workers under measurement, each a `cxg run <worker>` child process as in production (one
// process per worker, so the three together can use both cores), read through their /metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from './measure.ts';

export type WorkerKind = 'detector' | 'kpi' | 'accruals';

const CXG_BIN = fileURLToPath(new URL('../../bin/cxg.js', import.meta.url));

export interface WorkerProcess {
  kind: WorkerKind;
  port: number;
  metrics(): Promise<string>;
  /** SIGTERM and wait for the exit (a CPU profile is written then). */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface SpawnOptions {
  env: Record<string, string>;
  /** Write a V8 CPU profile of the worker into this directory when it stops. */
  cpuProfDir?: string;
}

/** Starts the worker and resolves once its /readyz says it is a member of its group. */
export async function spawnWorker(kind: WorkerKind, opts: SpawnOptions): Promise<WorkerProcess> {
  const port = await freePort();
  const node = opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : [];
  const child: ChildProcess = spawn(process.execPath, [...node, CXG_BIN, 'run', kind], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...opts.env, METRICS_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  await waitFor(
    `the ${kind} worker to become ready`,
    async () => {
      if (gone) throw new Error(`bench: the ${kind} worker exited before it was ready:\n${stderr}`);
      const r = await fetch(url('/readyz')).catch(() => null);
      return r?.status === 200 ? true : undefined;
    },
    120_000,
    50,
  );
  return {
    kind,
    port,
    metrics: () => fetch(url('/metrics')).then((r) => r.text()),
    stop: async () => {
      if (!gone) child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0 && code !== null) throw new Error(`bench: the ${kind} worker exited with ${code}:\n${stderr}`);
    },
  };
}
