// A worker as `cxg run <worker>` child process, kept running the way a supervisor keeps it: `kill`
// SIGKILLs the process and starts the next incarnation at once, on the same port and environment.
import { spawnCxg } from './helpers.ts';

export type WorkerName = 'detector' | 'kpi' | 'accruals';

/** A worker process kept running: `kill` SIGKILLs it and starts the next incarnation at once. */
export class Supervised {
  private proc: ReturnType<typeof spawnCxg>;
  private log = '';
  /** Exit codes of incarnations that ended by themselves (and were started again, as `Restart=on-failure` would). */
  readonly exits: Array<number | null> = [];

  constructor(
    readonly name: WorkerName,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.proc = this.spawn();
  }

  /** Processes this object ended itself (kill, stop): their exit is no failure. */
  private readonly ended = new WeakSet<object>();

  private spawn() {
    const proc = spawnCxg(['run', this.name], { ...this.env, METRICS_PORT: String(this.port) });
    proc.child.once('exit', (code) => {
      if (this.ended.has(proc.child)) return;
      // It ended by itself (a consumer kafkajs gave up on): started again, as `Restart=on-failure` would.
      this.exits.push(code);
      setTimeout(() => {
        if (this.proc === proc && !this.ended.has(proc.child)) {
          this.log += proc.output();
          this.proc = this.spawn();
        }
      }, 1000);
    });
    return proc;
  }

  /** SIGKILL; the next incarnation starts at once unless `restart` is false (then `start` it later). */
  async kill({ restart = true }: { restart?: boolean } = {}): Promise<void> {
    if (this.proc.child.exitCode === null && this.proc.child.signalCode === null) {
      const exited = new Promise((r) => this.proc.child.once('exit', r));
      this.ended.add(this.proc.child);
      this.proc.child.kill('SIGKILL');
      await exited;
    }
    if (restart) this.start();
  }

  /** A new incarnation after a `stop` or a `kill({ restart: false })`, on the same port and environment. */
  start(): void {
    if (this.alive) throw new Error(`${this.name} on ${this.port} is still running`);
    this.log += this.proc.output();
    this.proc = this.spawn();
  }

  get alive(): boolean {
    return this.proc.child.exitCode === null && this.proc.child.signalCode === null;
  }

  output(): string {
    return this.log + this.proc.output();
  }

  /** /readyz: its status and how long it took to answer. */
  async readyz(): Promise<{ status: number; ms: number; body: unknown }> {
    const t = Date.now();
    const res = await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
    return { status: res?.status ?? 0, ms: Date.now() - t, body: res ? await res.json().catch(() => null) : null };
  }

  async stop(): Promise<number | null> {
    if (!this.alive) return this.proc.child.exitCode;
    const exited = new Promise<number | null>((r) => this.proc.child.once('exit', (code) => r(code)));
    this.ended.add(this.proc.child);
    this.proc.child.kill('SIGTERM');
    return exited;
  }
}

