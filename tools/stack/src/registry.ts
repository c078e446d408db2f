// Apicurio Registry 3 (Quarkus fast-jar) as the Confluent-compatible schema registry, under
// /apis/ccompat/v7. Storage: Apicurio's SQL storage on an H2 *file* database in .cxg/stack/registry/data,
// so schemas survive a registry restart (the default is in-memory H2, which would forget the ids that
// records in Kafka carry). Global compatibility rule: BACKWARD.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactPaths } from './artifacts.ts';
import { LOOPBACK, PORT_VARIABLES } from './env.ts';
import { portTaken } from './kafka.ts';
import type { JavaRuntime } from './prereq.ts';
import { isAlive, ownedPid, portOpen, portsChanged, removePidFiles, sleep, spawnDetached, StackError, tail, terminate, writePid, writePorts } from './proc.ts';
import type { ServiceStatus, StackContext } from './types.ts';

export const GLOBAL_COMPATIBILITY = 'BACKWARD';

export function registryPaths(ctx: Pick<StackContext, 'state' | 'logs'>) {
  const dir = join(ctx.state, 'registry');
  return {
    dir,
    data: join(dir, 'data'),
    tmp: join(dir, 'tmp'),
    pidFile: join(dir, 'registry.pid'),
    out: join(ctx.logs, 'registry.log'),
  };
}

const registryPorts = (ctx: StackContext): Record<string, number> => ({ http: ctx.ports.registry, management: ctx.ports.registryManagement });

const marker = (dir: string): string => `-Dcxg.stack=${dir}`;

export function registryPid(ctx: StackContext): number | undefined {
  const p = registryPaths(ctx);
  return ownedPid(p.pidFile, (argv) => argv.includes(marker(p.dir)));
}

function jvmArgs(ctx: StackContext, p: ReturnType<typeof registryPaths>, a: ArtifactPaths, java: JavaRuntime): string[] {
  const heap = (process.env.CXG_REGISTRY_HEAP_OPTS || '-Xms64m -Xmx384m').split(/\s+/).filter(Boolean);
  const args = [
    ...heap,
    // a registry serves few requests: the C1 compiler alone and the serial GC start faster on 2 cores
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
  ];
  if (java.major >= 19) {
    // class-data sharing archive made on the first run's exit and reused afterwards: faster warm starts
    args.push('-XX:+AutoCreateSharedArchive', `-XX:SharedArchiveFile=${join(a.cache, 'cds', `apicurio-registry-${a.apicurioVersion}-java${java.major}.jsa`)}`);
  }
  args.push(
    `-Djava.io.tmpdir=${p.tmp}`,
    `-Dquarkus.http.host=${LOOPBACK}`,
    `-Dquarkus.http.port=${ctx.ports.registry}`,
    // /health/* lives on Quarkus' management interface, a second port (enabled at build time)
    `-Dquarkus.management.host=${LOOPBACK}`,
    `-Dquarkus.management.port=${ctx.ports.registryManagement}`,
    `-Dapicurio.rules.global.compatibility=${GLOBAL_COMPATIBILITY}`,
    '-Dapicurio.storage.kind=sql',
    '-Dapicurio.storage.sql.kind=h2',
    `-Dapicurio.datasource.url=jdbc:h2:file:${join(p.data, 'registry')}`,
    '-Dapicurio.datasource.jdbc.initial-size=2',
    '-Dapicurio.datasource.jdbc.min-size=2',
    '-Dapicurio.datasource.jdbc.max-size=20',
    `-Dapicurio.storage.snapshot.location=${p.tmp}`,
    `-Dapicurio.import.work-dir=${p.tmp}`,
    // one access-log and one audit line per request would drown the log in health checks
    '-Dquarkus.http.access-log.enabled=false',
    '-Dquarkus.log.category."io.apicurio.registry.logging.audit".level=WARN',
    marker(p.dir),
    '-jar',
    join(a.registryApp, 'quarkus-run.jar'),
  );
  return args;
}

async function getJson(url: string, timeoutMs = 2000): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body };
}

/** Health of the registry: management /health/ready (when it is ours to know), then GET /subjects. */
async function probe(ctx: StackContext): Promise<string> {
  if (ctx.managed.registry) {
    const ready = await getJson(`http://${LOOPBACK}:${ctx.ports.registryManagement}/health/ready`);
    if (ready.status !== 200) throw new Error(`/health/ready answered ${ready.status}`);
  }
  const base = ctx.env.SCHEMA_REGISTRY_URL.replace(/\/$/, '');
  const subjects = await getJson(`${base}/subjects`);
  if (subjects.status !== 200 || !Array.isArray(subjects.body)) throw new Error(`GET /subjects answered ${subjects.status}, not a JSON array`);
  const config = await getJson(`${base}/config`);
  const level = (config.body as { compatibilityLevel?: string } | undefined)?.compatibilityLevel ?? '?';
  const n = subjects.body.length;
  return `${n} subject${n === 1 ? '' : 's'}, compatibility ${level}`;
}

export async function registryStatus(ctx: StackContext): Promise<ServiceStatus> {
  const pid = ctx.managed.registry ? registryPid(ctx) : undefined;
  const base: ServiceStatus = { service: 'registry', url: ctx.env.SCHEMA_REGISTRY_URL, state: 'down', startedByUs: pid !== undefined, managed: ctx.managed.registry };
  if (pid !== undefined) base.pid = pid;
  try {
    const detail = await probe(ctx);
    return { ...base, state: 'healthy', detail: ctx.managed.registry ? `${detail}, h2 file storage` : detail };
  } catch (e) {
    const u = new URL(ctx.env.SCHEMA_REGISTRY_URL);
    const open = await portOpen(Number(u.port || (u.protocol === 'https:' ? 443 : 80)), u.hostname);
    const changed = pid !== undefined ? portsChanged(registryPaths(ctx).pidFile, registryPorts(ctx)) : undefined;
    if (changed) return { ...base, state: 'unhealthy', detail: `ours runs with other ports: ${changed}` };
    if (pid !== undefined || open) return { ...base, state: 'unhealthy', detail: (e as Error).message };
    return base;
  }
}

export async function registryUp(ctx: StackContext, java: () => JavaRuntime, artifacts: () => Promise<ArtifactPaths>): Promise<'started' | 'running'> {
  const p = registryPaths(ctx);
  let pid = registryPid(ctx);
  if (pid !== undefined) {
    const changed = portsChanged(p.pidFile, registryPorts(ctx));
    if (changed) throw new StackError(`registry: ours runs (pid ${pid}) with other ports than configured now: ${changed}; run \`cxg stack down\` first`);
    try {
      await probe(ctx);
      return 'running';
    } catch {
      ctx.log(`registry: pid ${pid} is ours but not healthy yet; waiting`);
      await waitHealthy(ctx, pid, Date.now());
      return 'running';
    }
  }
  for (const [name, port] of [['registry', ctx.ports.registry], ['registryManagement', ctx.ports.registryManagement]] as const) {
    if (await portOpen(port)) throw portTaken(port, name === 'registry' ? 'schema registry' : "schema registry's health endpoint", PORT_VARIABLES[name]);
  }
  const runtime = java();
  const a = await artifacts();
  mkdirSync(p.data, { recursive: true });
  mkdirSync(p.tmp, { recursive: true });
  mkdirSync(join(a.cache, 'cds'), { recursive: true });
  const started = Date.now();
  pid = spawnDetached(runtime.bin, jvmArgs(ctx, p, a, runtime), { cwd: p.dir, logFile: p.out });
  writePid(p.pidFile, pid);
  writePorts(p.pidFile, registryPorts(ctx));
  ctx.log(`registry: starting Apicurio Registry ${a.apicurioVersion} (pid ${pid}, Java ${runtime.major}) on ${ctx.env.SCHEMA_REGISTRY_URL}`);
  await waitHealthy(ctx, pid, started);
  return 'started';
}

async function waitHealthy(ctx: StackContext, pid: number, started: number): Promise<void> {
  const p = registryPaths(ctx);
  const deadline = started + ctx.timeoutMs;
  let last = '';
  for (;;) {
    if (!isAlive(pid)) throw new StackError(`registry: Apicurio (pid ${pid}) exited during start-up. Last lines of ${p.out}:\n${tail(p.out)}`);
    try {
      const detail = await probe(ctx);
      ctx.log(`registry: healthy after ${((Date.now() - started) / 1000).toFixed(1)} s (${detail})`);
      return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new StackError(`registry: not healthy after ${ctx.timeoutMs / 1000} s (${last}); see ${p.out}`);
    await sleep(250);
  }
}

export async function registryDown(ctx: StackContext): Promise<'stopped' | 'killed' | 'not ours'> {
  const p = registryPaths(ctx);
  const pid = registryPid(ctx);
  if (pid === undefined) return 'not ours';
  ctx.log(`registry: stopping pid ${pid}`);
  const how = await terminate(pid, 30_000);
  ctx.log(`registry: ${how}`);
  removePidFiles(p.pidFile);
  return how;
}
