// Redis: reuse whatever answers PING at REDIS_URL; when nothing listens there (and it is local), start
// redis-server daemonized with its data (append-only file) under .cxg/stack/redis. Only a Redis we
// started (our pid file, still that process) is ever stopped by `cxg stack down`.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { PORT_VARIABLES, redisTarget } from './env.ts';
import { findRedisServer, HINTS } from './prereq.ts';
import { ownedPid, portOpen, portOwner, portsChanged, readPid, sleep, StackError, tail, writePorts } from './proc.ts';
import { stopOwned } from './service.ts';
import type { ServiceStatus, StackContext } from './types.ts';

export function redisPaths(ctx: Pick<StackContext, 'state' | 'logs'>) {
  const dir = join(ctx.state, 'redis');
  return { dir, pidFile: join(dir, 'redis.pid'), log: join(ctx.logs, 'redis.log') };
}

export function redisPid(ctx: StackContext): number | undefined {
  // redis-server writes this pid file itself and removes it on a clean shutdown; its process title is
  // "redis-server 127.0.0.1:<port>"
  return ownedPid(redisPaths(ctx).pidFile, (argv) => (argv[0] ?? '').includes('redis-server'));
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** PING (after AUTH when the URL has a password). Resolves to the server's first reply line to PING. */
export function ping(url: string, timeoutMs = 1500): Promise<string> {
  const t = redisTarget(url);
  return new Promise((resolve, reject) => {
    const s: Socket = t.tls ? tlsConnect({ host: t.host, port: t.port, servername: t.host }) : netConnect({ host: t.host, port: t.port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from ${t.host}:${t.port} within ${timeoutMs} ms`));
    }, timeoutMs);
    let buf = '';
    const expect = t.password ? 2 : 1;
    s.once(t.tls ? 'secureConnect' : 'connect', () => {
      let cmd = '';
      if (t.password) cmd += encode(t.username ? ['AUTH', t.username, t.password] : ['AUTH', t.password]);
      s.write(cmd + encode(['PING']));
    });
    s.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const lines = buf.split('\r\n').filter(Boolean);
      if (lines.length >= expect) {
        clearTimeout(timer);
        s.destroy();
        const auth = t.password ? lines[0]! : '+OK';
        resolve(auth.startsWith('-') ? auth : lines[expect - 1]!);
      }
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

async function health(ctx: StackContext): Promise<{ ok: boolean; reply?: string; error?: string }> {
  try {
    const reply = await ping(ctx.env.REDIS_URL);
    return reply === '+PONG' ? { ok: true, reply } : { ok: false, reply };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

export async function redisStatus(ctx: StackContext): Promise<ServiceStatus> {
  const pid = ctx.managed.redis ? redisPid(ctx) : undefined;
  const base: ServiceStatus = { service: 'redis', url: ctx.env.REDIS_URL, state: 'down', startedByUs: pid !== undefined, managed: ctx.managed.redis };
  if (pid !== undefined) base.pid = pid;
  const h = await health(ctx);
  const changed = pid !== undefined ? portsChanged(redisPaths(ctx).pidFile, { port: redisTarget(ctx.env.REDIS_URL).port }) : undefined;
  if (changed) {
    // ours runs elsewhere; what answers at REDIS_URL (if anything) is not ours
    const { pid: _ours, ...rest } = base;
    return { ...rest, state: h.ok ? 'healthy' : 'down', startedByUs: false, detail: `the redis-server we started (pid ${pid}) runs on another port: ${changed}` };
  }
  if (h.ok) return { ...base, state: 'healthy', detail: pid !== undefined ? 'started by cxg stack' : 'found running' };
  if (h.reply !== undefined) return { ...base, state: 'unhealthy', detail: `PING answered ${h.reply}` };
  return pid !== undefined ? { ...base, state: 'unhealthy', detail: h.error ?? 'no answer' } : base;
}

/** Reuses a Redis that answers; otherwise starts one (local URLs only). */
export async function redisUp(ctx: StackContext): Promise<'reused' | 'running' | 'started'> {
  const t = redisTarget(ctx.env.REDIS_URL);
  const h = await health(ctx);
  const ours = ctx.managed.redis ? redisPid(ctx) : undefined;
  const changed = ours !== undefined ? portsChanged(redisPaths(ctx).pidFile, { port: t.port }) : undefined;
  if (changed) throw new StackError(`redis: ours runs (pid ${ours}) with another port than REDIS_URL names now: ${changed}; run \`cxg stack down\` first`);
  if (h.ok) return ours !== undefined ? 'running' : 'reused';
  if (h.reply !== undefined) {
    const hint = /NOAUTH|WRONGPASS|invalid password/i.test(h.reply) ? ' (put the password in REDIS_URL: redis://:PASSWORD@host:port)' : '';
    throw new StackError(`redis at ${t.host}:${t.port} answered PING with ${h.reply}${hint}`);
  }
  if (!ctx.managed.redis) throw new StackError(`redis: nothing answers at ${ctx.env.REDIS_URL}, and that is not a local redis:// URL, so cxg stack does not start one`);
  if (await portOpen(t.port, t.host)) {
    throw new StackError(`port ${t.port} (Redis) is in use by ${portOwner(t.port) ?? 'another process'} that does not answer PING; stop it, or set ${PORT_VARIABLES.redis} to use another port`);
  }
  const bin = findRedisServer();
  if (!bin) throw new StackError(HINTS.redis(t.port));
  const p = redisPaths(ctx);
  mkdirSync(p.dir, { recursive: true });
  const args = [
    '--port', String(t.port),
    '--bind', '127.0.0.1',
    '--daemonize', 'yes',
    '--dir', p.dir,
    '--appendonly', 'yes',
    '--pidfile', p.pidFile,
    '--logfile', p.log,
  ];
  if (t.password) args.push('--requirepass', t.password);
  const started = Date.now();
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new StackError(`redis-server failed to start (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim()}\n${tail(p.log, 5)}`);
  const deadline = started + Math.min(ctx.timeoutMs, 30_000);
  for (;;) {
    if ((await health(ctx)).ok) break;
    if (Date.now() > deadline) throw new StackError(`redis-server started but does not answer PING on port ${t.port}; see ${p.log}\n${tail(p.log, 5)}`);
    await sleep(100);
  }
  writePorts(p.pidFile, { port: t.port });
  ctx.log(`redis: started redis-server (pid ${readPid(p.pidFile) ?? '?'}) on ${ctx.env.REDIS_URL}, data in ${p.dir}`);
  return 'started';
}

export async function redisDown(ctx: StackContext): Promise<'stopped' | 'killed' | 'not ours'> {
  return stopOwned(ctx, 'redis', ctx.managed.redis ? redisPid(ctx) : undefined, redisPaths(ctx).pidFile, 15_000);
}
