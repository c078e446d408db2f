// Kafka in KRaft mode: one JVM that is broker and controller, from the Maven Central jars.
// State: .cxg/stack/kafka/{server.properties, log4j2.properties, data/, kafka.pid}; logs in .cxg/stack/logs.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ArtifactPaths } from './artifacts.ts';
import { LOOPBACK, PORT_VARIABLES } from './env.ts';
import { probeKafka } from './kafka-probe.ts';
import type { JavaRuntime } from './prereq.ts';
import { isAlive, ownedPid, portOpen, portOwner, portsChanged, removePidFiles, rotateLog, sleep, spawnDetached, StackError, tail, terminate, writePid, writePorts } from './proc.ts';
import type { ServiceStatus, StackContext } from './types.ts';

export function kafkaPaths(ctx: Pick<StackContext, 'state' | 'logs'>) {
  const dir = join(ctx.state, 'kafka');
  return {
    dir,
    data: join(dir, 'data'),
    props: join(dir, 'server.properties'),
    log4j: join(dir, 'log4j2.properties'),
    pidFile: join(dir, 'kafka.pid'),
    /** stdout/stderr of the JVM (crashes, JVM warnings) */
    out: join(ctx.logs, 'kafka.out'),
    /** log4j's server.log goes to the logs folder too */
    logsDir: ctx.logs,
    serverLog: join(ctx.logs, 'kafka-server.log'),
  };
}

/** Our JVMs carry -Dcxg.stack=<their state folder>, which tells them apart from anyone else's. */
const marker = (dir: string): string => `-Dcxg.stack=${dir}`;

export function kafkaPid(ctx: StackContext): number | undefined {
  const p = kafkaPaths(ctx);
  return ownedPid(p.pidFile, (argv) => argv.includes(marker(p.dir)));
}

function serverProperties(ctx: StackContext, data: string): string {
  const { kafka, kafkaController } = ctx.ports;
  return `# Written by \`cxg stack up\` on every start (edits here are overwritten; see tools/stack/src/kafka.ts).
# One node that is both broker and controller (KRaft), listening on loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=${LOOPBACK}:${kafkaController}
listeners=PLAINTEXT://${LOOPBACK}:${kafka},CONTROLLER://${LOOPBACK}:${kafkaController}
advertised.listeners=PLAINTEXT://${LOOPBACK}:${kafka}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${data}

# A single broker: replication factor 1 everywhere, including internal topics.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions than the default 50: quicker creation and loading on a 2-core machine.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
share.coordinator.state.topic.num.partitions=10
# Tests must not wait 3 s for every consumer group to form.
group.initial.rebalance.delay.ms=0
# The broker stamps records with its own clock, so a producer whose clock differs (another host, a
# test under faketime) is never refused for a timestamp "out of acceptable range"; cxg topics init
# sets the same on its topics for any cluster.
log.message.timestamp.type=LogAppendTime

num.partitions=1
num.network.threads=2
num.io.threads=4
log.cleaner.dedupe.buffer.size=33554432
log.retention.hours=168
`;
}

function log4jProperties(): string {
  return `# log4j2 for the local Kafka (properties format: the YAML format would need an extra Jackson module).
status = warn
name = cxg-kafka
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = \${sys:kafka.logs.dir}/kafka-server.log
appender.file.filePattern = \${sys:kafka.logs.dir}/kafka-server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
`;
}

/** A Kafka cluster id: 16 random bytes, base64url without padding, not starting with '-' (like Uuid.randomUuid). */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function jvmArgs(p: ReturnType<typeof kafkaPaths>, libs: string): string[] {
  const heap = (process.env.CXG_KAFKA_HEAP_OPTS || '-Xms256m -Xmx512m').split(/\s+/).filter(Boolean);
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${p.log4j}`,
    `-Dkafka.logs.dir=${p.logsDir}`,
    marker(p.dir),
    '-cp',
    `${libs}/*`,
  ];
}

/**
 * Class-data sharing for the broker: the first run writes an archive of the classes it loaded when it
 * exits, later runs map it (a faster start). Java 19+ does both with AutoCreateSharedArchive; on 17,
 * ArchiveClassesAtExit writes it and SharedArchiveFile reads it. A stale archive is ignored by the JVM.
 */
function cdsArgs(a: ArtifactPaths, java: JavaRuntime): string[] {
  if (process.env.CXG_STACK_CDS === '0') return [];
  const file = join(a.cache, 'cds', `kafka-${a.kafkaVersion}-java${java.major}.jsa`);
  mkdirSync(dirname(file), { recursive: true });
  if (java.major >= 19) return ['-XX:+AutoCreateSharedArchive', `-XX:SharedArchiveFile=${file}`];
  return existsSync(file) ? [`-XX:SharedArchiveFile=${file}`] : [`-XX:ArchiveClassesAtExit=${file}`];
}

const kafkaPorts = (ctx: StackContext): Record<string, number> => ({ broker: ctx.ports.kafka, controller: ctx.ports.kafkaController });

function brokerHostPort(ctx: StackContext): { host: string; port: number } {
  const first = ctx.env.KAFKA_BROKERS.split(',')[0]!.trim();
  const i = first.lastIndexOf(':');
  return { host: first.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(first.slice(i + 1)) };
}

export async function kafkaStatus(ctx: StackContext): Promise<ServiceStatus> {
  const pid = ctx.managed.kafka ? kafkaPid(ctx) : undefined;
  const base: ServiceStatus = { service: 'kafka', url: ctx.env.KAFKA_BROKERS, state: 'down', startedByUs: pid !== undefined, managed: ctx.managed.kafka };
  if (pid !== undefined) base.pid = pid;
  const { host, port } = brokerHostPort(ctx);
  try {
    const info = await probeKafka(host, port, { timeoutMs: 2000 });
    return { ...base, state: 'healthy', detail: `cluster ${info.clusterId ?? '?'}` };
  } catch (e) {
    const open = await portOpen(port, host);
    const changed = pid !== undefined ? portsChanged(kafkaPaths(ctx).pidFile, kafkaPorts(ctx)) : undefined;
    if (changed) return { ...base, state: 'unhealthy', detail: `ours runs with other ports: ${changed}` };
    if (pid !== undefined || open) return { ...base, state: 'unhealthy', detail: (e as Error).message };
    return base;
  }
}

/** Starts Kafka unless ours already runs; waits until it serves metadata and its coordinators are ready. */
export async function kafkaUp(ctx: StackContext, java: () => JavaRuntime, artifacts: () => Promise<ArtifactPaths>): Promise<'started' | 'running'> {
  const p = kafkaPaths(ctx);
  const { host, port } = brokerHostPort(ctx);
  let pid = kafkaPid(ctx);
  if (pid !== undefined) {
    const changed = portsChanged(p.pidFile, kafkaPorts(ctx));
    if (changed) throw new StackError(`kafka: ours runs (pid ${pid}) with other ports than configured now: ${changed}; run \`cxg stack down\` first`);
    try {
      await probeKafka(host, port, { timeoutMs: 2000 });
      return 'running';
    } catch {
      ctx.log(`kafka: pid ${pid} is ours but not healthy yet; waiting`);
      await waitHealthy(ctx, pid, Date.now());
      return 'running';
    }
  }
  for (const [name, port_] of [['kafka', ctx.ports.kafka], ['kafkaController', ctx.ports.kafkaController]] as const) {
    if (await portOpen(port_)) throw portTaken(port_, `Kafka ${name === 'kafka' ? 'broker' : 'controller'}`, PORT_VARIABLES[name]);
  }
  const runtime = java();
  const a = await artifacts();
  mkdirSync(p.data, { recursive: true });
  writeFileSync(p.props, serverProperties(ctx, p.data));
  writeFileSync(p.log4j, log4jProperties());

  if (!existsSync(join(p.data, 'meta.properties'))) {
    ctx.log(`kafka: formatting storage in ${p.data}`);
    const r = spawnSync(
      runtime.bin,
      [...jvmArgs(p, a.kafkaLibs), 'kafka.tools.StorageTool', 'format', '--standalone', '--ignore-formatted', '-t', clusterId(), '-c', p.props],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (r.status !== 0) throw new StackError(`kafka: formatting storage failed (exit ${r.status}):\n${(r.stderr || r.stdout || String(r.error)).trim()}`);
  }

  const started = Date.now();
  rotateLog(p.serverLog);
  pid = spawnDetached(runtime.bin, [...cdsArgs(a, runtime), ...jvmArgs(p, a.kafkaLibs), 'kafka.Kafka', p.props], { cwd: p.dir, logFile: p.out });
  writePid(p.pidFile, pid);
  writePorts(p.pidFile, kafkaPorts(ctx));
  ctx.log(`kafka: starting Kafka ${a.kafkaVersion} (pid ${pid}, Java ${runtime.major}) on ${ctx.env.KAFKA_BROKERS}`);
  await waitHealthy(ctx, pid, started);
  return 'started';
}

async function waitHealthy(ctx: StackContext, pid: number, started: number): Promise<void> {
  const p = kafkaPaths(ctx);
  const { host, port } = brokerHostPort(ctx);
  const deadline = started + ctx.timeoutMs;
  let last = '';
  for (;;) {
    if (!isAlive(pid)) {
      throw new StackError(`kafka: the broker (pid ${pid}) exited during start-up. Last lines of ${p.serverLog}:\n${tail(p.serverLog)}\n${tail(p.out, 5)}`);
    }
    try {
      await probeKafka(host, port, { timeoutMs: 2000, producerIds: true });
      ctx.log(`kafka: healthy after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new StackError(`kafka: not healthy after ${ctx.timeoutMs / 1000} s (${last}); see ${p.serverLog}`);
    }
    await sleep(250);
  }
}

export async function kafkaDown(ctx: StackContext): Promise<'stopped' | 'killed' | 'not ours'> {
  const p = kafkaPaths(ctx);
  const pid = kafkaPid(ctx);
  if (pid === undefined) return 'not ours';
  ctx.log(`kafka: stopping pid ${pid}`);
  // a controlled shutdown of one node takes a few seconds; give it time before SIGKILL
  const how = await terminate(pid, 45_000);
  ctx.log(`kafka: ${how}`);
  removePidFiles(p.pidFile);
  return how;
}

export function portTaken(port: number, what: string, variable: string): StackError {
  const owner = portOwner(port);
  return new StackError(`port ${port} (${what}) is already in use by ${owner ?? 'another process'} that \`cxg stack\` did not start; stop it, or set ${variable} to use another port`);
}
