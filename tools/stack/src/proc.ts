// Process and port helpers for the local stack: detached children with pid files, ownership checks
// (a pid file is trusted only while /proc says the process is still the one we started), TCP probes.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';

/** An error whose message is meant for the person at the terminal: no stack trace needed. */
export class StackError extends Error {
  override name = 'StackError';
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** argv of a live process, or undefined where /proc is unavailable. */
export function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** Exited but not yet reaped by its parent (a detached child of a test runner, say). */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function writePid(file: string, pid: number): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${pid}\n`);
}

/**
 * The pid in `file` if that process is alive and its command line satisfies `isOurs`; a pid file that
 * fails the check is stale (the process died, or the pid was reused) and is removed.
 */
export function ownedPid(file: string, isOurs: (argv: string[]) => boolean): number | undefined {
  const pid = readPid(file);
  if (pid === undefined) return undefined;
  if (isAlive(pid) && !isZombie(pid)) {
    const argv = cmdline(pid);
    if (argv === undefined || isOurs(argv)) return pid;
  }
  rmSync(file, { force: true });
  return undefined;
}

/** Keeps the previous log as <file>.1 so a fresh start begins a fresh file. */
export function rotateLog(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  if (existsSync(file) && statSync(file).size > 0) renameSync(file, `${file}.1`);
}

/** Starts a long-running program in its own session (it outlives this process), output to `logFile`. */
export function spawnDetached(cmd: string, args: string[], opts: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv }): number {
  rotateLog(opts.logFile);
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
    });
    if (child.pid === undefined) throw new StackError(`could not start ${cmd}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves once the process is gone. */
export async function terminate(pid: number, graceMs: number): Promise<'stopped' | 'killed'> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'stopped';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) || isZombie(pid)) return 'stopped';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  while (isAlive(pid) && !isZombie(pid)) await sleep(50);
  return 'killed';
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Best effort: "pid 123 (java)" for whoever listens on a TCP port, from /proc (Linux, same user or root). */
export function portOwner(port: number): string | undefined {
  const pid = listenerPid(port);
  if (pid === undefined) return undefined;
  const argv = cmdline(pid) ?? [];
  return `pid ${pid} (${argv[0] ? argv[0].split('/').pop() : '?'})`;
}

/** "port N (what) is already in use by ... that `cxg stack` did not start", with the variable that moves it. */
export function portTaken(port: number, what: string, variable: string): StackError {
  const owner = portOwner(port);
  return new StackError(`port ${port} (${what}) is already in use by ${owner ?? 'another process'} that \`cxg stack\` did not start; stop it, or set ${variable} to use another port`);
}

/** Best effort: the pid that listens on a TCP port, from /proc (Linux, same user or root). */
export function listenerPid(port: number): number | undefined {
  try {
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!existsSync(table)) continue;
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length < 10 || f[3] !== '0A') continue; // 0A = LISTEN
        const local = f[1]!;
        if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(f[9]!);
      }
    }
    if (inodes.size === 0) return undefined;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${entry}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let link: string;
        try {
          link = readlinkSync(`/proc/${entry}/fd/${fd}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1]!)) return Number(entry);
      }
    }
  } catch {
    // best effort only
  }
  return undefined;
}

/** Last lines of a log file, for error messages. */
export function tail(file: string, lines = 15): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * A lock file so two `up`/`down` runs (two terminals, two test runners) do not start the same service
 * twice. Waits for a live holder; takes over from a dead one.
 */
export async function withLock<T>(file: string, fn: () => Promise<T>, log: (line: string) => void, timeoutMs = 600_000): Promise<T> {
  mkdirSync(dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readPid(file);
      if (holder === undefined || holder === process.pid || !isAlive(holder)) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new StackError(`another cxg stack command (pid ${holder}) holds ${file}; wait for it or remove the file`);
      if (!told) {
        log(`waiting for another cxg stack command (pid ${holder}) to finish`);
        told = true;
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    if (readPid(file) === process.pid) rmSync(file, { force: true });
  }
}

/** The ports a service of ours was started with, kept beside its pid file. */
export function writePorts(pidFile: string, ports: Record<string, number>): void {
  writeFileSync(`${pidFile}.ports.json`, `${JSON.stringify(ports)}\n`);
}

/**
 * When a service of ours runs with other ports than the configuration now asks for (someone changed
 * CXG_*_PORT or a URL between `up` and now), a description like "broker 9092 (now 19092)".
 */
export function portsChanged(pidFile: string, want: Record<string, number>): string | undefined {
  let had: Record<string, number>;
  try {
    had = JSON.parse(readFileSync(`${pidFile}.ports.json`, 'utf8')) as Record<string, number>;
  } catch {
    return undefined;
  }
  const diffs = Object.entries(want).filter(([k, v]) => had[k] !== undefined && had[k] !== v).map(([k, v]) => `${k} ${had[k]} (now ${v})`);
  return diffs.length ? diffs.join(', ') : undefined;
}

export function removePidFiles(pidFile: string): void {
  rmSync(pidFile, { force: true });
  rmSync(`${pidFile}.ports.json`, { force: true });
}
