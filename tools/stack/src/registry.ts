// Apicurio Registry 3 (Quarkus fast-jar) as the Confluent-compatible schema registry, under
// /apis/ccompat/v7; its descriptor for the stack's one service lifecycle (service.ts). Storage:
// Apicurio's SQL storage on an H2 *file* database in .cxg/stack/registry/data, so schemas survive a
// registry restart (the default is in-memory H2, which would forget the ids that records in Kafka
// carry). Global compatibility rule: BACKWARD.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { haveRegistry, type ArtifactPaths } from './artifacts.ts';
import { LOOPBACK, PORT_VARIABLES } from './env.ts';
import { REGISTRY_JAVA, type JavaRuntime } from './prereq.ts';
import type { ServiceDescriptor, ServicePaths } from './service.ts';
import type { StackContext } from './types.ts';

export const GLOBAL_COMPATIBILITY = 'BACKWARD';

const data = (p: ServicePaths): string => join(p.dir, 'data');
const tmp = (p: ServicePaths): string => join(p.dir, 'tmp');

function jvmArgs(ctx: StackContext, p: ServicePaths, a: ArtifactPaths, java: JavaRuntime): string[] {
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
    `-Djava.io.tmpdir=${tmp(p)}`,
    `-Dquarkus.http.host=${LOOPBACK}`,
    `-Dquarkus.http.port=${ctx.ports.registry}`,
    // /health/* lives on Quarkus' management interface, a second port (enabled at build time)
    `-Dquarkus.management.host=${LOOPBACK}`,
    `-Dquarkus.management.port=${ctx.ports.registryManagement}`,
    `-Dapicurio.rules.global.compatibility=${GLOBAL_COMPATIBILITY}`,
    '-Dapicurio.storage.kind=sql',
    '-Dapicurio.storage.sql.kind=h2',
    `-Dapicurio.datasource.url=jdbc:h2:file:${join(data(p), 'registry')}`,
    '-Dapicurio.datasource.jdbc.initial-size=2',
    '-Dapicurio.datasource.jdbc.min-size=2',
    '-Dapicurio.datasource.jdbc.max-size=20',
    `-Dapicurio.storage.snapshot.location=${tmp(p)}`,
    `-Dapicurio.import.work-dir=${tmp(p)}`,
    // one access-log and one audit line per request would drown the log in health checks
    '-Dquarkus.http.access-log.enabled=false',
    '-Dquarkus.log.category."io.apicurio.registry.logging.audit".level=WARN',
    p.marker,
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
  const detail = `${n} subject${n === 1 ? '' : 's'}, compatibility ${level}`;
  return ctx.managed.registry ? `${detail}, h2 file storage` : detail;
}

export const registry: ServiceDescriptor = {
  name: 'registry',
  variable: 'SCHEMA_REGISTRY_URL',
  title: (a) => `Apicurio Registry ${a.apicurioVersion}`,
  processName: 'Apicurio',
  java: REGISTRY_JAVA,
  downloaded: haveRegistry,
  outLog: 'registry.log',
  stopGraceMs: 30_000,
  ports: (ctx) => [
    { key: 'http', port: ctx.ports.registry, what: 'schema registry', variable: PORT_VARIABLES.registry },
    { key: 'management', port: ctx.ports.registryManagement, what: "schema registry's health endpoint", variable: PORT_VARIABLES.registryManagement },
  ],
  endpoint(ctx) {
    const u = new URL(ctx.env.SCHEMA_REGISTRY_URL);
    return { url: ctx.env.SCHEMA_REGISTRY_URL, host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
  },
  probe: (ctx) => probe(ctx),
  prepare(ctx, p, java, a) {
    mkdirSync(data(p), { recursive: true });
    mkdirSync(tmp(p), { recursive: true });
    mkdirSync(join(a.cache, 'cds'), { recursive: true });
    return jvmArgs(ctx, p, a, java);
  },
};
