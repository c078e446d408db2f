// One lifecycle for the programs the stack runs itself as detached JVMs (Kafka, the schema registry).
// A descriptor per service says what differs (its ports, its health check, how to lay out its files
// and build its command line); status, up, wait-for-health and down are the one code path below.
// State: .cxg/stack/<name>/ (pid file, its ports beside it, the service's own files); its stdout and
// stderr go to .cxg/stack/logs/<outLog>. Our JVMs carry -Dcxg.stack=<their state folder>, which tells
// them apart from anyone else's.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactPaths } from './artifacts.ts';
import type { JavaRuntime, JavaWanted } from './prereq.ts';
import { cmdline, isAlive, listenerPid, ownedPid, portOpen, portsChanged, portTaken, removePidFiles, sleep, spawnDetached, StackError, tail, terminate, writePid, writePorts } from './proc.ts';
import type { ServiceStatus, StackContext } from './types.ts';

export interface ServicePort {
  /** key in <pidFile>.ports.json and in "ours runs with other ports" messages */
  key: string;
  port: number;
  /** for "port N (<what>) is already in use" */
  what: string;
  /** the variable that moves it */
  variable: string;
}

/** Where a service's files are; the descriptor adds its own under `dir`. */
export interface ServicePaths {
  dir: string;
  pidFile: string;
  /** stdout and stderr of the process */
  out: string;
  logs: string;
  /** the argument that marks the process as ours */
  marker: string;
}

export interface ServiceDescriptor {
  name: 'kafka' | 'registry';
  /** the variable that points clients at it (named when an external one is not healthy) */
  variable: 'KAFKA_BROKERS' | 'SCHEMA_REGISTRY_URL';
  /** what "starting ..." calls it, with its version */
  title(a: ArtifactPaths): string;
  /** what "... exited during start-up" calls the process */
  processName: string;
  /** which Java it needs; the message when there is none */
  java: JavaWanted;
  /** its download is in the cache */
  downloaded(a: ArtifactPaths): boolean;
  /** file name of its stdout/stderr in the logs folder */
  outLog: string;
  /** how long `down` waits after SIGTERM before SIGKILL */
  stopGraceMs: number;
  /** the ports it binds, first the one clients use */
  ports(ctx: StackContext): ServicePort[];
  /** where clients reach it: the variable's value, and the host and port behind it */
  endpoint(ctx: StackContext): { url: string; host: string; port: number };
  /**
   * The health check: resolves to a detail for `status`, rejects with why not. `starting`: the check
   * `up` waits for after a start, which may ask more of a fresh process.
   */
  probe(ctx: StackContext, starting: boolean): Promise<string>;
  /** writes its configuration (and formats storage, ...) and returns the JVM's arguments */
  prepare(ctx: StackContext, p: ServicePaths, java: JavaRuntime, a: ArtifactPaths): string[];
  /** the log that says why it failed (default: its stdout/stderr) */
  mainLog?(p: ServicePaths): string;
}

export function servicePaths(ctx: Pick<StackContext, 'state' | 'logs'>, svc: Pick<ServiceDescriptor, 'name' | 'outLog'>): ServicePaths {
  const dir = join(ctx.state, svc.name);
  return { dir, pidFile: join(dir, `${svc.name}.pid`), out: join(ctx.logs, svc.outLog), logs: ctx.logs, marker: `-Dcxg.stack=${dir}` };
}

const portRecord = (ctx: StackContext, svc: ServiceDescriptor): Record<string, number> => Object.fromEntries(svc.ports(ctx).map((p) => [p.key, p.port]));

/** The pid of ours per its pid file (trusted only while that process still carries our marker). */
export function servicePid(ctx: StackContext, svc: ServiceDescriptor): number | undefined {
  const p = servicePaths(ctx, svc);
  return ownedPid(p.pidFile, (argv) => argv.includes(p.marker));
}

/**
 * Ours without a pid file: the process listening on the service's first port carries our marker (its
 * pid file was deleted while it ran). `up` accepts it as running; `down` still stops only pid files.
 */
function markedListener(ctx: StackContext, svc: ServiceDescriptor): number | undefined {
  const pid = listenerPid(svc.ports(ctx)[0]!.port);
  return pid !== undefined && (cmdline(pid) ?? []).includes(servicePaths(ctx, svc).marker) ? pid : undefined;
}

export async function serviceStatus(ctx: StackContext, svc: ServiceDescriptor): Promise<ServiceStatus> {
  const managed = ctx.managed[svc.name];
  const pid = managed ? servicePid(ctx, svc) : undefined;
  const { url, host, port } = svc.endpoint(ctx);
  const base: ServiceStatus = { service: svc.name, url, state: 'down', startedByUs: pid !== undefined, managed };
  if (pid !== undefined) base.pid = pid;
  try {
    return { ...base, state: 'healthy', detail: await svc.probe(ctx, false) };
  } catch (e) {
    const open = await portOpen(port, host);
    const changed = pid !== undefined ? portsChanged(servicePaths(ctx, svc).pidFile, portRecord(ctx, svc)) : undefined;
    if (changed) return { ...base, state: 'unhealthy', detail: `ours runs with other ports: ${changed}` };
    if (pid !== undefined || open) return { ...base, state: 'unhealthy', detail: (e as Error).message };
    return base;
  }
}

/** Starts the service unless ours already runs; resolves once it passes its health check. */
export async function serviceUp(
  ctx: StackContext,
  svc: ServiceDescriptor,
  java: () => JavaRuntime,
  artifacts: () => Promise<ArtifactPaths>,
): Promise<{ result: 'started' | 'running'; pid: number }> {
  const p = servicePaths(ctx, svc);
  const filed = servicePid(ctx, svc);
  const running = filed ?? markedListener(ctx, svc);
  if (running !== undefined) {
    const changed = filed !== undefined ? portsChanged(p.pidFile, portRecord(ctx, svc)) : undefined;
    if (changed) throw new StackError(`${svc.name}: ours runs (pid ${running}) with other ports than configured now: ${changed}; run \`cxg stack down\` first`);
    if (filed === undefined) ctx.log(`${svc.name}: pid ${running} is ours (its -Dcxg.stack marker) but its pid file is gone, so \`cxg stack down\` will not stop it`);
    try {
      await svc.probe(ctx, false);
    } catch {
      ctx.log(`${svc.name}: pid ${running} is ours but not healthy yet; waiting`);
      await waitHealthy(ctx, svc, running, Date.now());
    }
    return { result: 'running', pid: running };
  }
  for (const port of svc.ports(ctx)) {
    if (await portOpen(port.port)) throw portTaken(port.port, port.what, port.variable);
  }
  const runtime = java();
  const a = await artifacts();
  mkdirSync(p.dir, { recursive: true });
  const args = svc.prepare(ctx, p, runtime, a);
  const started = Date.now();
  const pid = spawnDetached(runtime.bin, args, { cwd: p.dir, logFile: p.out });
  writePid(p.pidFile, pid);
  writePorts(p.pidFile, portRecord(ctx, svc));
  ctx.log(`${svc.name}: starting ${svc.title(a)} (pid ${pid}, Java ${runtime.major}) on ${svc.endpoint(ctx).url}`);
  await waitHealthy(ctx, svc, pid, started);
  return { result: 'started', pid };
}

async function waitHealthy(ctx: StackContext, svc: ServiceDescriptor, pid: number, started: number): Promise<void> {
  const p = servicePaths(ctx, svc);
  const log = svc.mainLog?.(p) ?? p.out;
  const deadline = started + ctx.timeoutMs;
  let last = '';
  for (;;) {
    if (!isAlive(pid)) {
      const out = log === p.out ? '' : `\n${tail(p.out, 5)}`;
      throw new StackError(`${svc.name}: ${svc.processName} (pid ${pid}) exited during start-up. Last lines of ${log}:\n${tail(log)}${out}`);
    }
    try {
      const detail = await svc.probe(ctx, true);
      ctx.log(`${svc.name}: healthy after ${((Date.now() - started) / 1000).toFixed(1)} s (${detail})`);
      return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new StackError(`${svc.name}: not healthy after ${ctx.timeoutMs / 1000} s (${last}); see ${log}`);
    await sleep(250);
  }
}

/** Stops ours (per its pid file): SIGTERM, then SIGKILL after the descriptor's grace. */
export async function serviceDown(ctx: StackContext, svc: ServiceDescriptor): Promise<'stopped' | 'killed' | 'not ours'> {
  return stopOwned(ctx, svc.name, servicePid(ctx, svc), servicePaths(ctx, svc).pidFile, svc.stopGraceMs);
}

/** The one way the stack stops a process of its own (the JVMs above, and a redis-server it started). */
export async function stopOwned(ctx: StackContext, name: string, pid: number | undefined, pidFile: string, graceMs: number): Promise<'stopped' | 'killed' | 'not ours'> {
  if (pid === undefined) return 'not ours';
  ctx.log(`${name}: stopping pid ${pid}`);
  const how = await terminate(pid, graceMs);
  ctx.log(`${name}: ${how}`);
  removePidFiles(pidFile);
  return how;
}
