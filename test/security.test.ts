// Security against the real services (docs/security.md):
// - Kafka: the local stack's SASL_SSL listener (SCRAM-SHA-512 over TLS, CA made by `cxg stack up`)
//   with ACLs per program: the right user produces and consumes its topics; a wrong password, a
//   topic and a group outside its ACLs each fail with one clear line.
// - Redis: a redis-server of this test's own (TLS only, ACL users per key prefix, certificates made
//   here with openssl): the kpi worker's user writes under cx:kpi:, is refused cx:ev:…, a wrong
//   password is refused, ioredis connects with rediss:// and the CA.
// - Secrets: `cxg run detector` and `cxg kpis` given passwords log nothing of them.
// The shared plaintext listener and the shared Redis on 6379 are only used, never changed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, type JourneySignal } from '@cxg/engine';
import { createKafka, createProducer, initTopics, KAFKA_ACCESS, readEndpoints, redisTlsOptions, type Endpoints, type KafkaAccessRole } from '@cxg/platform';
import { stackKafkaSecurity } from '@cxg/stack';
import { cxgBin, eventually, freePort, kafkaFor, runId, serdeFor, testLog } from './helpers.ts';

const sec = stackKafkaSecurity();
const [saslHost, saslPort] = [sec.brokers.split(':')[0]!, Number(sec.brokers.split(':')[1])];

const portOpen = (port: number, host = '127.0.0.1'): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/** The environment a program runs with on the SASL_SSL listener as `role` (password from its file unless given). */
function saslEnv(role: KafkaAccessRole, password?: string): Record<string, string> {
  const user = sec.users[role];
  return {
    KAFKA_BROKERS: sec.brokers,
    KAFKA_SASL_MECHANISM: sec.mechanism,
    KAFKA_USERNAME: user.username,
    ...(password === undefined ? { KAFKA_PASSWORD_FILE: user.passwordFile } : { KAFKA_PASSWORD: password }),
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: sec.caFile,
  };
}

const endpointsAs = (role: KafkaAccessRole, password?: string): Endpoints => {
  const { KAFKA_PASSWORD: _p, KAFKA_PASSWORD_FILE: _f, ...rest } = process.env;
  return readEndpoints({ ...rest, ...saslEnv(role, password) });
};
const kafkaAs = (role: KafkaAccessRole, password?: string) => createKafka(endpointsAs(role, password), `security-${role}`, testLog);
const passwordOf = (role: KafkaAccessRole): string => readFileSync(sec.users[role].passwordFile, 'utf8').trim();

/** Runs `cxg <args>` until it exits, or until `until` matches its output (then SIGTERM); returns everything it printed. */
function runCxg(args: string[], env: Record<string, string>, opts: { until?: RegExp; timeoutMs?: number } = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, [cxgBin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 45_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (opts.until?.test(output)) child.kill('SIGTERM');
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('Kafka: SASL/SCRAM-SHA-512 over TLS with ACLs (the local stack)', () => {
  beforeAll(async () => {
    if (!(await portOpen(saslPort, saslHost))) {
      throw new Error(
        `no SASL_SSL listener at ${sec.brokers}: \`cxg stack up\` configures it, and a broker that was started before it existed gets it at its next start (\`cxg stack down && cxg stack up\`)`,
      );
    }
    // a broker started a moment ago may not yet serve a topic it has just created: try again
    await eventually(async () => {
      try {
        return await initTopics(kafkaFor('security-init'), serdeFor(), readEndpoints().partitions);
      } catch {
        return undefined;
      }
    }, 60_000, 'the topics (cxg topics init)');
  });

  it('the detector user writes its signals, the kpi user reads them in its own group, over TLS', async () => {
    const id = runId('sec');
    const serde = serdeFor();
    const signal: JourneySignal = {
      signal_id: `${id}-s`, kind: 'REPEAT_CONTACT', customer_id: `${id}-c`, contact_event_id: `${id}-e2`, contact_id: `${id}-k2`,
      contact_provider_id: `${id}-p`, contact_channel: 'PHONE', contact_ended_at: Date.now(), intent_family: 'billing',
      prior_event_id: `${id}-e1`, prior_id: `${id}-k1`, prior_provider_id: `${id}-p`, prior_ended_at: Date.now() - 60_000, gap_ms: 60_000,
    };
    const consumer: Consumer = kafkaAs('kpi').consumer({ groupId: `${KAFKA_ACCESS.kpi.groupPrefix}-${id}` });
    const seen: KafkaMessage[] = [];
    const joined = new Promise((r) => consumer.on(consumer.events.GROUP_JOIN, r));
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.signals, fromBeginning: false });
    await consumer.run({ eachMessage: async ({ message }) => void (message.key?.toString() === signal.customer_id && seen.push(message)) });
    await joined;
    const producer = await createProducer(kafkaAs('detector'));
    try {
      await producer.send({ topic: TOPICS.signals, messages: [{ key: signal.customer_id, value: await serde.encode(TOPICS.signals, signal) }] });
      const [message] = await eventually(() => (seen.length ? seen : undefined), 30_000, 'the signal on the kpi side');
      expect(await serde.decode(TOPICS.signals, message!.value)).toMatchObject({ signal_id: signal.signal_id });
    } finally {
      await producer.disconnect();
      await consumer.disconnect();
    }
  });

  it('a wrong password fails with one clear line naming the user and the listener', async () => {
    const producer = kafkaAs('detector', 'not-the-password').producer();
    await expect(producer.connect()).rejects.toThrow(
      new RegExp(`^Kafka SASL authentication failed for user cx-detector at ${sec.brokers}: SASL SCRAM SHA512 authentication failed`),
    );
  });

  it('a topic outside the ACLs fails: writing another program\'s output, reading another\'s input', async () => {
    const producer = await createProducer(kafkaAs('detector'));
    try {
      await expect(producer.send({ topic: TOPICS.alerts, messages: [{ key: 'x', value: 'never written' }] })).rejects.toThrow(
        `Kafka: user cx-detector is not authorized to write to topic ${TOPICS.alerts} at ${sec.brokers} (TOPIC_AUTHORIZATION_FAILED: the broker's ACLs do not allow it)`,
      );
    } finally {
      await producer.disconnect();
    }
    const consumer = kafkaAs('detector').consumer({ groupId: `${KAFKA_ACCESS.detector.groupPrefix}-${runId('sec')}` });
    await consumer.connect();
    try {
      await expect(consumer.subscribe({ topic: TOPICS.customers })).rejects.toThrow(`Kafka: user cx-detector is not authorized to read topic ${TOPICS.customers} at ${sec.brokers} (TOPIC_AUTHORIZATION_FAILED`);
    } finally {
      await consumer.disconnect();
    }
  });

  it('a consumer group outside the ACLs crashes the consumer with one clear line', async () => {
    const group = `${KAFKA_ACCESS.kpi.groupPrefix}-${runId('sec')}`;
    const consumer = kafkaAs('detector').consumer({ groupId: group });
    const crashed = new Promise<Error>((r) => consumer.on(consumer.events.CRASH, (e) => r(e.payload.error)));
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPICS.contacts });
      await consumer.run({ eachMessage: async () => undefined });
      expect((await crashed).message).toBe(`Kafka: user cx-detector is not authorized to use consumer group ${group} at ${sec.brokers} (GROUP_AUTHORIZATION_FAILED: the broker's ACLs do not allow it)`);
    } finally {
      await consumer.disconnect();
    }
  });

  it('`cxg run detector` logs no password: a wrong one (refused), the right one (authenticated, then refused a group)', async () => {
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    const metrics = String(await freePort());
    const refused = await runCxg(['run', 'detector'], { ...saslEnv('detector', wrong), LOG_LEVEL: 'trace', METRICS_PORT: metrics });
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`Kafka SASL authentication failed for user cx-detector at ${sec.brokers}`);
    expect(refused.output).not.toContain(wrong);

    // The right password (in KAFKA_PASSWORD itself): the producer authenticates, the registry and Redis
    // answer, the group is not the detector's, so it stops there without consuming anything.
    const right = passwordOf('detector');
    const group = `not-the-detectors-${runId('sec')}`;
    const run = await runCxg(['run', 'detector'], { ...saslEnv('detector', right), CX_DETECTOR_GROUP: group, LOG_LEVEL: 'trace', METRICS_PORT: metrics }, { until: /not authorized to use consumer group/ });
    expect(run.output).toContain(`Kafka: user cx-detector is not authorized to use consumer group ${group}`);
    expect(run.output).not.toContain(right);
  });
});

describe('Redis: ACL users per key prefix over TLS (a redis-server of this test)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cxg-redis-tls-'));
  const ca = join(dir, 'ca.pem');
  const kpiPassword = randomBytes(16).toString('hex');
  const detectorPassword = randomBytes(16).toString('hex');
  const passwordFile = join(dir, 'kpi.password');
  let server: ChildProcess | undefined;
  let port = 0;
  const opened: Redis[] = [];

  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr || r.error}`);
  };

  /** ioredis as a worker opens it (the env → readEndpoints → redisTlsOptions path), failing fast. */
  const connectAs = async (env: Record<string, string>): Promise<Redis> => {
    const endpoints = readEndpoints({ ...env });
    const redis = new Redis(endpoints.redisUrl, { ...redisTlsOptions(endpoints), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
    // the server's refusal (WRONGPASS, a TLS error) comes as an error event; connect() only says "Connection is closed"
    let refused: Error | null = null;
    redis.on('error', (e: Error) => (refused ??= e));
    opened.push(redis);
    try {
      await redis.connect();
    } catch (err) {
      throw refused ?? err;
    }
    return redis;
  };

  beforeAll(async () => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=cxg test redis CA', '-keyout', 'ca.key', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem');
    writeFileSync(passwordFile, `${kpiPassword}\n`, { mode: 0o600 });
    // The default user is off; each worker's user gets its prefixes only, and no admin commands.
    writeFileSync(
      join(dir, 'users.acl'),
      [
        'user default off',
        `user cx-kpi on >${kpiPassword} resetkeys ~cx:kpi:* resetchannels +@all -@dangerous +info`,
        `user cx-detector on >${detectorPassword} resetkeys ~cx:ev:* ~cx:tl:* ~cx:epoch:* resetchannels +@all -@dangerous +info`,
        '',
      ].join('\n'),
    );
    port = await freePort();
    server = spawn('redis-server', [
      '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1',
      '--tls-cert-file', 'server.pem', '--tls-key-file', 'server.key', '--tls-ca-cert-file', 'ca.pem', '--tls-auth-clients', 'no',
      '--aclfile', join(dir, 'users.acl'), '--save', '', '--appendonly', 'no', '--dir', dir,
    ], { cwd: dir, stdio: 'ignore' });
    await eventually(async () => ((await portOpen(port)) ? true : undefined), 10_000, `redis-server on TLS port ${port}`);
  });

  afterAll(async () => {
    for (const r of opened) r.disconnect();
    if (server?.pid) {
      server.kill('SIGTERM');
      await new Promise((r) => (server!.exitCode !== null ? r(null) : server!.once('exit', r)));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const kpiEnv = () => ({ REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_USERNAME: 'cx-kpi', REDIS_PASSWORD_FILE: passwordFile, REDIS_TLS_CA_FILE: ca });

  it('the kpi user connects with rediss:// and the CA and writes under its prefix', async () => {
    const redis = await connectAs(kpiEnv());
    expect(await redis.set('cx:kpi:security:probe', '1', 'PX', 60_000)).toBe('OK');
    expect(await redis.get('cx:kpi:security:probe')).toBe('1');
    expect(await redis.acl('WHOAMI')).toBe('cx-kpi');
  });

  it('is refused another program\'s prefix and admin commands (NOPERM)', async () => {
    const redis = await connectAs(kpiEnv());
    await expect(redis.set('cx:ev:{c1}', '1')).rejects.toThrow(/^NOPERM .*(key|permissions)/i);
    await expect(redis.get('other:key')).rejects.toThrow(/^NOPERM/);
    await expect(redis.flushall()).rejects.toThrow(/^NOPERM .*flushall/i);
    // the detector's user in turn has its own keys and not the kpi worker's
    const detector = await connectAs({ REDIS_URL: `rediss://cx-detector:${detectorPassword}@127.0.0.1:${port}`, REDIS_TLS_CA_FILE: ca });
    expect(await detector.set('cx:tl:{c1}', '1', 'PX', 60_000)).toBe('OK');
    await expect(detector.get('cx:kpi:security:probe')).rejects.toThrow(/^NOPERM/);
  });

  it('a wrong password is refused (WRONGPASS), and so is TLS without the CA', async () => {
    await expect(connectAs({ REDIS_URL: `rediss://cx-kpi:wrong@127.0.0.1:${port}`, REDIS_TLS_CA_FILE: ca })).rejects.toThrow(/WRONGPASS invalid username-password pair/);
    const { REDIS_TLS_CA_FILE: _ca, ...noCa } = kpiEnv();
    await expect(connectAs(noCa)).rejects.toThrow(/self[- ]signed certificate|unable to verify/i);
    // the server speaks TLS only: a plain redis:// client gets no answer
    await expect(connectAs({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_USERNAME: 'cx-kpi', REDIS_PASSWORD_FILE: passwordFile })).rejects.toThrow();
  });

  it('`cxg kpis` with the password in REDIS_URL prints no password, refused or not', async () => {
    // `cxg kpis` opens its own connection from the URL: the CA reaches it through Node's NODE_EXTRA_CA_CERTS.
    const url = (pw: string) => `rediss://cx-kpi:${pw}@127.0.0.1:${port}`;
    const ok = await runCxg(['kpis'], { REDIS_URL: url(kpiPassword), NODE_EXTRA_CA_CERTS: ca, LOG_LEVEL: 'trace' });
    expect(ok.output).toMatch(/no KPI data under cx:kpi: yet/);
    expect(ok.code).toBe(0);
    expect(ok.output).not.toContain(kpiPassword);
    const wrong = `wrong${randomBytes(8).toString('hex')}`;
    const refused = await runCxg(['kpis'], { REDIS_URL: url(wrong), NODE_EXTRA_CA_CERTS: ca, LOG_LEVEL: 'trace' });
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/WRONGPASS/);
    expect(refused.output).not.toContain(wrong);
  });
});
