// Kafka in KRaft mode: one JVM that is broker and controller, from the Maven Central jars. This is its
// descriptor for the stack's one service lifecycle (service.ts): ports, health check, files, command line.
// State: .cxg/stack/kafka/{server.properties, log4j2.properties, data/, kafka.pid}; logs in .cxg/stack/logs.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { haveKafka, type ArtifactPaths } from './artifacts.ts';
import { LOOPBACK, PORT_VARIABLES } from './env.ts';
import { probeKafka } from './kafka-probe.ts';
import { KAFKA_JAVA, type JavaRuntime } from './prereq.ts';
import { rotateLog, StackError } from './proc.ts';
import type { ServiceDescriptor, ServicePaths } from './service.ts';
import type { StackContext } from './types.ts';
import { ensureCertificates, securityFiles, securityProperties, type KafkaSecurityFiles } from './kafka-security.ts';

function serverProperties(ctx: StackContext, data: string, security: KafkaSecurityFiles): string {
  const { kafka, kafkaController, kafkaSasl } = ctx.ports;
  return `# Written by \`cxg stack up\` on every start (edits here are overwritten; see tools/stack/src/kafka.ts).
# One node that is both broker and controller (KRaft), listening on loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=${LOOPBACK}:${kafkaController}
listeners=PLAINTEXT://${LOOPBACK}:${kafka},CONTROLLER://${LOOPBACK}:${kafkaController},SASL_SSL://${LOOPBACK}:${kafkaSasl}
advertised.listeners=PLAINTEXT://${LOOPBACK}:${kafka},SASL_SSL://${LOOPBACK}:${kafkaSasl}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
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
${securityProperties(security)}`;
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

function jvmArgs(p: ServicePaths, libs: string): string[] {
  const heap = (process.env.CXG_KAFKA_HEAP_OPTS || '-Xms256m -Xmx512m').split(/\s+/).filter(Boolean);
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(p.dir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${p.logs}`,
    p.marker,
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

function brokerHostPort(ctx: StackContext): { host: string; port: number } {
  const first = ctx.env.KAFKA_BROKERS.split(',')[0]!.trim();
  const i = first.lastIndexOf(':');
  return { host: first.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(first.slice(i + 1)) };
}

export const kafka: ServiceDescriptor = {
  name: 'kafka',
  variable: 'KAFKA_BROKERS',
  title: (a) => `Kafka ${a.kafkaVersion}`,
  processName: 'the broker',
  java: KAFKA_JAVA,
  downloaded: haveKafka,
  outLog: 'kafka.out',
  // a controlled shutdown of one node takes a few seconds; give it time before SIGKILL
  stopGraceMs: 45_000,
  ports: (ctx) => [
    { key: 'broker', port: ctx.ports.kafka, what: 'Kafka broker', variable: PORT_VARIABLES.kafka },
    { key: 'controller', port: ctx.ports.kafkaController, what: 'Kafka controller', variable: PORT_VARIABLES.kafkaController },
    { key: 'sasl', port: ctx.ports.kafkaSasl, what: 'Kafka SASL_SSL listener', variable: PORT_VARIABLES.kafkaSasl },
  ],
  endpoint: (ctx) => ({ url: ctx.env.KAFKA_BROKERS, ...brokerHostPort(ctx) }),
  /** Metadata, coordinators; after a start also an InitProducerId, so idempotent producers find ids ready. */
  async probe(ctx, starting) {
    const { host, port } = brokerHostPort(ctx);
    const info = await probeKafka(host, port, { timeoutMs: 2000, producerIds: starting });
    return `cluster ${info.clusterId ?? '?'}`;
  },
  /** log4j's server.log goes to the logs folder too */
  mainLog: (p) => join(p.logs, 'kafka-server.log'),
  prepare(ctx, p, java, a) {
    const data = join(p.dir, 'data');
    const props = join(p.dir, 'server.properties');
    mkdirSync(data, { recursive: true });
    const security = securityFiles(p.dir);
    ensureCertificates(java, security, ctx.log);
    writeFileSync(props, serverProperties(ctx, data, security), { mode: 0o600 });
    writeFileSync(join(p.dir, 'log4j2.properties'), log4jProperties());
    if (!existsSync(join(data, 'meta.properties'))) {
      ctx.log(`kafka: formatting storage in ${data}`);
      const r = spawnSync(
        java.bin,
        [...jvmArgs(p, a.kafkaLibs), 'kafka.tools.StorageTool', 'format', '--standalone', '--ignore-formatted', '-t', clusterId(), '-c', props],
        { encoding: 'utf8', timeout: 120_000 },
      );
      if (r.status !== 0) throw new StackError(`kafka: formatting storage failed (exit ${r.status}):\n${(r.stderr || r.stdout || String(r.error)).trim()}`);
    }
    rotateLog(join(p.logs, 'kafka-server.log'));
    return [...cdsArgs(a, java), ...jvmArgs(p, a.kafkaLibs), 'kafka.Kafka', props];
  },
};
