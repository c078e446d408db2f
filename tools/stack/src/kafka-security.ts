// The local broker's second listener: SASL/SCRAM-SHA-512 over TLS, with ACLs (StandardAuthorizer)
// that give each program only its topics and groups (@cxg/platform's KAFKA_ACCESS). The PLAINTEXT
// listener stays open to everyone: its principal, User:ANONYMOUS, is a super user.
//   certificates  keytool (it ships with the Java that runs Kafka) at the first start: a CA and a
//                 broker certificate for 127.0.0.1 / localhost, in <state>/kafka/security/
//   users         one random password per user in <state>/kafka/security/users/<user>.password
//                 (mode 0600), upserted as SCRAM-SHA-512 credentials after every `up`
//                 (AlterUserScramCredentials over the wire, like kafka-configs --add-config)
//   ACLs          created after every `up` through the PLAINTEXT listener (idempotent)
import { spawnSync } from 'node:child_process';
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createKafka, createLogger, KAFKA_ACCESS, type Endpoints, type KafkaAccessRole } from '@cxg/platform';
import { LOOPBACK } from './env.ts';
import { KafkaProbe } from './kafka-probe.ts';
import type { JavaRuntime } from './prereq.ts';
import { portOpen, StackError } from './proc.ts';
import type { StackContext } from './types.ts';

export const SCRAM_MECHANISM = 'scram-sha-512';
const SCRAM_ITERATIONS = 8192;

export interface KafkaSecurityFiles {
  dir: string;
  /** PEM of the CA that signed the broker's certificate: KAFKA_SSL_CA_FILE */
  caFile: string;
  /** PKCS12 keystore of the broker (key + certificate chain) */
  keystore: string;
  /** the keystore's password, generated once */
  storePasswordFile: string;
  usersDir: string;
}

export function securityFiles(kafkaDir: string): KafkaSecurityFiles {
  const dir = join(kafkaDir, 'security');
  return { dir, caFile: join(dir, 'ca.pem'), keystore: join(dir, 'broker.p12'), storePasswordFile: join(dir, 'store.password'), usersDir: join(dir, 'users') };
}

function secretFile(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const value = randomBytes(24).toString('base64url');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return value;
}

/** keytool beside the java that runs Kafka (a JRE has it too), else the one on PATH. */
function keytoolOf(java: JavaRuntime): string {
  const beside = join(dirname(java.bin), 'keytool');
  return java.bin.includes('/') && existsSync(beside) ? beside : 'keytool';
}

/**
 * A CA and a broker certificate (SAN 127.0.0.1, localhost), made once with keytool into a temporary
 * folder and then moved into place, so an interrupted run leaves nothing half made.
 */
export function ensureCertificates(java: JavaRuntime, files: KafkaSecurityFiles, log: (l: string) => void): void {
  if (existsSync(files.keystore) && existsSync(files.caFile) && existsSync(files.storePasswordFile)) return;
  const started = Date.now();
  const tmp = `${files.dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const pw = randomBytes(18).toString('base64url');
  const keytool = keytoolOf(java);
  const run = (...args: string[]): void => {
    const r = spawnSync(keytool, args, { cwd: tmp, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw new StackError(`kafka: keytool ${args[0]} failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim()}`);
    }
  };
  const store = (name: string) => ['-keystore', name, '-storetype', 'PKCS12', '-storepass', pw];
  const key = ['-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650', '-keypass', pw];
  run('-genkeypair', '-alias', 'ca', '-dname', 'CN=cx-gainshare local stack CA', ...key, '-ext', 'bc:c', ...store('ca.p12'));
  run('-exportcert', '-rfc', '-alias', 'ca', '-file', 'ca.pem', ...store('ca.p12'));
  run('-genkeypair', '-alias', 'broker', '-dname', 'CN=localhost', ...key, ...store('broker.p12'));
  run('-certreq', '-alias', 'broker', '-file', 'broker.csr', ...store('broker.p12'));
  run('-gencert', '-alias', 'ca', '-infile', 'broker.csr', '-outfile', 'broker.pem', '-rfc', '-validity', '3650', '-ext', 'SAN=ip:127.0.0.1,dns:localhost', '-ext', 'EKU=serverAuth', ...store('ca.p12'));
  run('-importcert', '-noprompt', '-alias', 'ca', '-file', 'ca.pem', ...store('broker.p12'));
  run('-importcert', '-noprompt', '-alias', 'broker', '-file', 'broker.pem', ...store('broker.p12'));
  rmSync(join(tmp, 'broker.csr'));
  writeFileSync(join(tmp, basename(files.storePasswordFile)), `${pw}\n`, { mode: 0o600 });
  // the CA's key stays beside it only to sign a new broker certificate; nothing else reads it
  const users = existsSync(files.usersDir) ? files.usersDir : undefined;
  if (users) renameSync(users, join(tmp, 'users'));
  rmSync(files.dir, { recursive: true, force: true });
  renameSync(tmp, files.dir);
  log(`kafka: made a CA and a broker certificate for ${LOOPBACK} in ${files.dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** The server.properties lines of the SASL_SSL listener and the authorizer. */
export function securityProperties(files: KafkaSecurityFiles): string {
  const pw = readFileSync(files.storePasswordFile, 'utf8').trim();
  return `
# SASL_SSL: SCRAM-SHA-512 users over TLS, each allowed only its topics and groups (ACLs, see
# tools/stack/src/kafka-security.ts). PLAINTEXT (clients, controller) is User:ANONYMOUS, a super user.
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PKCS12
listener.name.sasl_ssl.ssl.keystore.location=${files.keystore}
listener.name.sasl_ssl.ssl.keystore.password=${pw}
listener.name.sasl_ssl.ssl.key.password=${pw}
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
allow.everyone.if.no.acl.found=false
`;
}

/** A user's password file (made on first use), for KAFKA_PASSWORD_FILE. */
export function userPasswordFile(files: KafkaSecurityFiles, user: string): string {
  const file = join(files.usersDir, `${user}.password`);
  secretFile(file);
  return file;
}

// --- AlterUserScramCredentials (api 51, v0, flexible encoding) over the PLAINTEXT listener ---

function uvarint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
}
const compactBytes = (b: Buffer): Buffer => Buffer.concat([uvarint(b.length + 1), b]);
const compactString = (s: string): Buffer => compactBytes(Buffer.from(s, 'utf8'));
const TAGS_NONE = Buffer.from([0]);

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

/** Upserts SCRAM-SHA-512 credentials; throws naming the user whose upsert the broker refused. */
export async function upsertScramUsers(host: string, port: number, users: Array<{ name: string; password: string }>): Promise<void> {
  const upsertions = users.map(({ name, password }) => {
    const salt = randomBytes(32);
    const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 64, 'sha512');
    return Buffer.concat([compactString(name), Buffer.from([2]), int32(SCRAM_ITERATIONS), compactBytes(salt), compactBytes(salted), TAGS_NONE]);
  });
  // request header v2 = v1 + tagged fields: the probe writes v1, the body starts with the header's empty tags
  const body = Buffer.concat([TAGS_NONE, uvarint(1), uvarint(upsertions.length + 1), ...upsertions, TAGS_NONE]);
  const p = new KafkaProbe(host, port, 10_000);
  await p.connect();
  try {
    const r = await p.request(51, 0, body);
    // response header v1 tags, throttle_time_ms, results: [user, error_code, error_message, tags]
    let o = 0;
    const varint = (): number => {
      let v = 0;
      let shift = 0;
      for (;;) {
        const b = r[o++]!;
        v |= (b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
        shift += 7;
      }
    };
    const text = (): string | null => {
      const n = varint() - 1;
      if (n < 0) return null;
      const s = r.toString('utf8', o, o + n);
      o += n;
      return s;
    };
    varint(); // header tags
    o += 4; // throttle
    const n = varint() - 1;
    const failed: string[] = [];
    for (let i = 0; i < n; i++) {
      const user = text();
      const code = r.readInt16BE(o);
      o += 2;
      const message = text();
      varint();
      if (code !== 0) failed.push(`${user}: error ${code}${message ? ` (${message})` : ''}`);
    }
    if (failed.length) throw new StackError(`kafka: the broker refused SCRAM credentials for ${failed.join('; ')}`);
  } finally {
    p.close();
  }
}

// --- ACLs, through kafkajs's admin on the PLAINTEXT listener (User:ANONYMOUS is a super user) ---

// kafkajs enum values (ResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes)
const RESOURCE = { topic: 2, group: 3, cluster: 4 } as const;
const OPERATION = { read: 3, write: 4, describe: 8 } as const;
const ALLOW = 3;
const PATTERN = { literal: 3, prefixed: 4 } as const;

interface Acl {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** The ACLs of KAFKA_ACCESS: READ on the topics read, WRITE on those written, READ on the group prefix. */
export function accessAcls(): Acl[] {
  const acls: Acl[] = [];
  for (const access of Object.values(KAFKA_ACCESS)) {
    const principal = `User:${access.user}`;
    const add = (resourceType: number, resourceName: string, resourcePatternType: number, operation: number) =>
      acls.push({ resourceType, resourceName, resourcePatternType, principal, host: '*', operation, permissionType: ALLOW });
    for (const t of access.read) add(RESOURCE.topic, t, PATTERN.literal, OPERATION.read);
    for (const t of access.write) add(RESOURCE.topic, t, PATTERN.literal, OPERATION.write);
    if (access.groupPrefix) add(RESOURCE.group, access.groupPrefix, PATTERN.prefixed, OPERATION.read);
  }
  return acls;
}

/** Where a client of the SASL_SSL listener connects, and as whom. */
export interface KafkaSecurity {
  /** host:port of the SASL_SSL listener: KAFKA_BROKERS */
  brokers: string;
  mechanism: typeof SCRAM_MECHANISM;
  /** KAFKA_SSL_CA_FILE */
  caFile: string;
  /** per program: KAFKA_USERNAME and KAFKA_PASSWORD_FILE */
  users: Record<KafkaAccessRole, { username: string; passwordFile: string }>;
}

export function kafkaSecurity(ctx: Pick<StackContext, 'state' | 'ports'>): KafkaSecurity {
  const files = securityFiles(join(ctx.state, 'kafka'));
  const users = Object.fromEntries(
    (Object.entries(KAFKA_ACCESS) as Array<[KafkaAccessRole, (typeof KAFKA_ACCESS)[KafkaAccessRole]]>).map(([role, a]) => [role, { username: a.user, passwordFile: userPasswordFile(files, a.user) }]),
  ) as KafkaSecurity['users'];
  return { brokers: `${LOOPBACK}:${ctx.ports.kafkaSasl}`, mechanism: SCRAM_MECHANISM, caFile: files.caFile, users };
}

/** A digest of what the last apply put on the broker, so an unchanged `up` skips the ACL round trip. */
function appliedMarker(files: KafkaSecurityFiles): string {
  return join(files.dir, 'applied');
}

/**
 * After `up`: the users' SCRAM credentials and the ACLs, applied through the PLAINTEXT listener.
 * A broker of ours that still runs a configuration from before the SASL_SSL listener gets it at its
 * next start; until then this only says so.
 */
export async function kafkaSecurityUp(ctx: StackContext, brokerStarted: boolean): Promise<'applied' | 'unchanged' | 'not yet'> {
  const files = securityFiles(join(ctx.state, 'kafka'));
  if (!(await portOpen(ctx.ports.kafkaSasl, LOOPBACK))) {
    ctx.log(`kafka: the running broker has no SASL_SSL listener on ${LOOPBACK}:${ctx.ports.kafkaSasl} yet (it started with an older configuration); it gets one at its next start (\`cxg stack down\`, then \`up\`)`);
    return 'not yet';
  }
  const sec = kafkaSecurity(ctx);
  const users = Object.values(sec.users).map((u) => ({ name: u.username, password: readFileSync(u.passwordFile, 'utf8').trim() }));
  const acls = accessAcls();
  const digest = createHash('sha256').update(JSON.stringify({ users, acls, port: ctx.ports.kafka })).digest('hex');
  const marker = appliedMarker(files);
  if (!brokerStarted && existsSync(marker) && readFileSync(marker, 'utf8') === digest) return 'unchanged';
  await upsertScramUsers(LOOPBACK, ctx.ports.kafka, users);
  const endpoints = { kafkaBrokers: [`${LOOPBACK}:${ctx.ports.kafka}`], kafkaSasl: null, kafkaSsl: false } as unknown as Endpoints;
  const admin = createKafka(endpoints, 'cxg-stack', createLogger('stack', 'silent')).admin();
  await admin.connect();
  try {
    await admin.createAcls({ acl: acls as never });
  } finally {
    await admin.disconnect();
  }
  writeFileSync(marker, digest);
  ctx.log(`kafka: SASL_SSL on ${sec.brokers}: ${users.length} SCRAM users (${users.map((u) => u.name).join(', ')}), ${acls.length} ACLs; passwords in ${files.usersDir}, CA in ${files.caFile}`);
  return 'applied';
}
