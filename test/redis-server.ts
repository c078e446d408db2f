// A redis-server of a test's own, so pausing, flushing or restarting it disturbs no other test.
// Like the stack's, it keeps nothing on disk: a restart comes back empty, as a Redis without
// persistence (or a failover to a replica that had not caught up) does in production.
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { eventually, freePort } from './helpers.ts';

export class PrivateRedis {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.spawn();
    return r;
  }

  private async spawn(): Promise<void> {
    // The real clock like every store, even when the suite runs under faketime (scripts/date-shift.sh).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'LD_PRELOAD' && !k.startsWith('FAKETIME')));
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', env });
    await eventually(async () => ((await this.ping()) ? true : undefined), 10_000, `redis-server on ${this.port}`);
  }

  async ping(): Promise<boolean> {
    const r = new Redis({ port: this.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, commandTimeout: 1000 });
    r.on('error', () => undefined); // refused while the server starts: the caller polls
    try {
      await r.connect();
      return (await r.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      r.disconnect();
    }
  }

  /** Stops answering (SIGSTOP) until `resume`: connections stay open, commands hang. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Every key gone, the server up. */
  async flushAll(): Promise<void> {
    const r = new Redis({ port: this.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      await r.flushall();
    } finally {
      r.disconnect();
    }
  }

  /** Killed and started again on the same port: back empty. */
  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGCONT');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** A client for the test's own reads. */
  client(): Redis {
    return new Redis({ port: this.port, host: '127.0.0.1' });
  }
}
