// `cxg doctor`: every program `npm test` and `cxg stack up` need on this machine, checked in one place,
// each missing one with the exact line that installs it; as root (with CI set, or --install) it
// installs the missing Debian packages itself. Then it makes sure a Redis answers at REDIS_URL, through
// the stack's own Redis start (redis.ts), because the workers' unit tests need one before any suite
// brings the stack up. `npm test` and .ci/run both run it, so the two cannot drift.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactPaths, haveKafka, haveRegistry } from './artifacts.ts';
import { findRepoRoot, managedServices, stackEnv, stackPorts } from './env.ts';
import {
  aptInstall,
  findJavaFor,
  findRedisServer,
  forgetJavaProbes,
  JVM_ROOTS,
  KAFKA_JAVA,
  newestJava,
  PACKAGES,
  REDIS_SERVER_PATHS,
  REGISTRY_JAVA,
  which,
  type JavaRuntime,
  type JavaWanted,
} from './prereq.ts';

export interface Check {
  /** what is checked, e.g. `java >= 21` */
  name: string;
  /** who needs it */
  neededFor: string;
  ok: boolean;
  version?: string;
  path?: string;
  /** why it is fine without it, or what is wrong besides "not found" */
  note?: string;
  /** what to do when it is not ok: an exact install line where there is one */
  fix?: string;
  /** the Debian package that fixes it, when apt-get can */
  package?: string;
}

/** Everything the checks look at, so a test can hand in a PATH of its own and no JVMs. */
export interface Probe {
  nodeVersion: string;
  nodePath: string;
  /** the Node range the repository declares (package.json "engines"), e.g. `>=20.19` */
  nodeRange: string;
  which(cmd: string): string | undefined;
  redisServer(): string | undefined;
  java(w: JavaWanted): JavaRuntime | undefined;
  newestJava(): JavaRuntime | undefined;
  /** the first x.y[.z] the program prints for `args` (stdout or stderr), if it runs */
  version(bin: string, args: string[]): Promise<string | undefined>;
  /** the stack runs these itself (their variable names the local stack), so it needs their Java */
  managed: { kafka: boolean; registry: boolean };
  /** their downloads are cached (then Maven is not needed) */
  downloaded: { kafka: boolean; registry: boolean };
}

export function versionOf(text: string): string | undefined {
  return /(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
}

/** The probe of this machine; `env` (PATH, JAVA_HOME, CXG_*, ...), the JDK folders and redis-server's fallbacks can be replaced. */
export function systemProbe(opts: { env?: NodeJS.ProcessEnv; jvmRoots?: string[]; redisPaths?: string[] } = {}): Probe {
  const env = opts.env ?? process.env;
  const search = { env, jvmRoots: opts.jvmRoots ?? JVM_ROOTS };
  const managed = managedServices(stackEnv(env), stackPorts(env));
  const a = artifactPaths(env);
  let nodeRange = '>=20.19';
  try {
    nodeRange = (JSON.parse(readFileSync(join(findRepoRoot(), 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? nodeRange;
  } catch {
    // keep the default
  }
  return {
    nodeVersion: process.versions.node,
    nodePath: process.execPath,
    nodeRange,
    which: (cmd) => which(cmd, env.PATH),
    redisServer: () => findRedisServer(env.PATH, opts.redisPaths ?? REDIS_SERVER_PATHS),
    java: (w) => findJavaFor(w, search),
    newestJava: () => newestJava(search),
    version: (bin, args) =>
      new Promise((resolve) => {
        execFile(bin, args, { timeout: 20_000, env: { ...env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
          // colour codes (mvn's "\x1b[1mApache Maven 3.8.7") hold no x.y, so the first x.y is the version
          const text = `${stdout}\n${stderr}`;
          resolve(err && !text.trim() ? undefined : versionOf(text));
        });
      }),
    managed: { kafka: managed.kafka, registry: managed.registry },
    downloaded: { kafka: haveKafka(a), registry: haveRegistry(a) },
  };
}

/** `>=20.19` against `20.20.2`: only the `>=` form package.json uses. */
export function satisfies(version: string, range: string): boolean {
  const want = /^\s*>=\s*v?([\d.]+)\s*$/.exec(range)?.[1];
  if (!want) return true;
  const a = version.replace(/^v/, '').split('.').map(Number);
  const b = want.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

interface Tool {
  cmd: string;
  neededFor: string;
  package: string;
  versionArgs: string[];
}

/** Programs the tests spawn (grep test/ and infra/ for spawn and check.sh): found on PATH or not. */
const TOOLS: Tool[] = [
  { cmd: 'promtool', neededFor: 'alert rule tests (infra/prometheus/check.sh)', package: PACKAGES.prometheus, versionArgs: ['--version'] },
  { cmd: 'amtool', neededFor: 'Alertmanager routing tests (infra/alertmanager/check.sh)', package: PACKAGES.alertmanager, versionArgs: ['--version'] },
  { cmd: 'prometheus', neededFor: 'the dashboards test (it scrapes the workers)', package: PACKAGES.prometheus, versionArgs: ['--version'] },
  { cmd: 'bash', neededFor: 'the infra check scripts', package: PACKAGES.bash, versionArgs: ['--version'] },
  { cmd: 'openssl', neededFor: 'the Redis TLS certificates of test/security.test.ts', package: PACKAGES.openssl, versionArgs: ['version'] },
  { cmd: 'chromium', neededFor: 'the statement page test (services/cli, headless via playwright-core)', package: PACKAGES.chromium, versionArgs: ['--version'] },
];

function javaCheck(p: Probe, w: JavaWanted, service: 'kafka' | 'registry', neededFor: string, pkg: string, fix: string): Check {
  const name = `java >= ${w.min}`;
  if (!p.managed[service]) {
    const variable = service === 'kafka' ? 'KAFKA_BROKERS' : 'SCHEMA_REGISTRY_URL';
    return { name, neededFor, ok: true, note: `not needed: ${variable} names a service outside the local stack` };
  }
  const j = p.java(w);
  if (j) return { name, neededFor, ok: true, version: j.version, path: j.bin };
  const newest = p.newestJava();
  const check: Check = { name, neededFor, ok: false, fix, package: pkg };
  if (newest) {
    check.note = `newest found is ${newest.version}`;
    check.path = newest.bin;
  }
  return check;
}

/** Every prerequisite, checked now (nothing is installed or started). */
export async function checkPrerequisites(p: Probe = systemProbe()): Promise<Check[]> {
  const withVersion = async (c: Check, args: string[]): Promise<Check> => {
    if (!c.path) return c;
    const v = await p.version(c.path, args);
    return v ? { ...c, version: v } : c;
  };

  const node: Check = satisfies(p.nodeVersion, p.nodeRange)
    ? { name: `node ${p.nodeRange}`, neededFor: 'cxg (tsx), every workspace', ok: true, version: p.nodeVersion, path: p.nodePath }
    : {
        name: `node ${p.nodeRange}`,
        neededFor: 'cxg (tsx), every workspace',
        ok: false,
        version: p.nodeVersion,
        path: p.nodePath,
        note: 'too old',
        fix: `install Node.js ${p.nodeRange.replace(/^>=\s*/, '')} or newer (https://nodejs.org/en/download)`,
      };

  const npmPath = p.which('npm');
  const npm: Check = npmPath
    ? { name: 'npm', neededFor: 'npm ci, npm test', ok: true, path: npmPath }
    : { name: 'npm', neededFor: 'npm ci, npm test', ok: false, fix: 'install npm with Node.js (https://nodejs.org/en/download)' };

  const java17 = javaCheck(p, KAFKA_JAVA, 'kafka', 'Kafka (cxg stack up)', PACKAGES.java17, aptInstall(PACKAGES.java17));
  const java21 = javaCheck(
    p,
    REGISTRY_JAVA,
    'registry',
    'the schema registry (cxg stack up)',
    PACKAGES.java21,
    `${aptInstall(PACKAGES.java21)} (Debian 13; Debian 12 has no such package: put a JDK 21+ under /usr/lib/jvm or set CXG_REGISTRY_JAVA_HOME)`,
  );

  const needMaven = (p.managed.kafka && !p.downloaded.kafka) || (p.managed.registry && !p.downloaded.registry);
  const mvnPath = p.which('mvn');
  const mvn: Check = mvnPath
    ? { name: 'mvn', neededFor: 'downloading Kafka and the registry once', ok: true, path: mvnPath }
    : needMaven
      ? { name: 'mvn', neededFor: 'downloading Kafka and the registry once', ok: false, fix: aptInstall(PACKAGES.maven), package: PACKAGES.maven }
      : { name: 'mvn', neededFor: 'downloading Kafka and the registry once', ok: true, note: 'not needed: Kafka and the registry are in the download cache' };

  const redisPath = p.redisServer();
  const redis: Check = redisPath
    ? { name: 'redis-server', neededFor: 'a Redis at REDIS_URL when none answers; tests that start their own', ok: true, path: redisPath }
    : { name: 'redis-server', neededFor: 'a Redis at REDIS_URL when none answers; tests that start their own', ok: false, fix: aptInstall(PACKAGES.redis), package: PACKAGES.redis };

  const tools = TOOLS.map((t): Check => {
    const path = p.which(t.cmd);
    return path ? { name: t.cmd, neededFor: t.neededFor, ok: true, path } : { name: t.cmd, neededFor: t.neededFor, ok: false, fix: aptInstall(t.package), package: t.package };
  });

  return Promise.all([
    node,
    withVersion(npm, ['--version']),
    java17,
    java21,
    withVersion(mvn, ['-v']),
    withVersion(redis, ['--version']),
    ...TOOLS.map((t, i) => withVersion(tools[i]!, t.versionArgs)),
  ]);
}

/** The Debian packages that would fix the failed checks, each once. */
export function missingPackages(checks: Check[]): string[] {
  return [...new Set(checks.filter((c) => !c.ok && c.package).map((c) => c.package!))];
}

/** A table: CHECK, NEEDED FOR, FOUND, STATUS (OK, or MISSING with the line that fixes it). */
export function formatChecks(checks: Check[]): string {
  const found = (c: Check): string => {
    const what = [c.version, c.path].filter(Boolean).join('  ');
    if (c.note) return what ? `${what} (${c.note})` : c.note;
    return what || 'not found';
  };
  const head = ['CHECK', 'NEEDED FOR', 'FOUND', 'STATUS'];
  const rows = checks.map((c) => [c.name, c.neededFor, found(c), c.ok ? 'OK' : `MISSING: ${c.fix ?? 'see above'}`]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/** What `cxg doctor` may do about a missing package here. */
export interface InstallPolicy {
  /** apt-get may run: as root with CI set or --install; without root only with --install and sudo */
  allowed: boolean;
  /** prefix for apt-get (sudo -n when not root) */
  prefix: string[];
  /** why not, when not allowed */
  reason?: string;
}

export function installPolicy(o: { install: boolean; env: NodeJS.ProcessEnv; isRoot: boolean; sudo: string | undefined }): InstallPolicy {
  const ci = o.env.CI !== undefined && !['', '0', 'false'].includes(o.env.CI.toLowerCase());
  if (o.isRoot) {
    if (o.install || ci) return { allowed: true, prefix: [] };
    return { allowed: false, prefix: [], reason: 'not installing: run `cxg doctor --install` (or with CI set) to install them' };
  }
  if (o.install && o.sudo) return { allowed: true, prefix: [o.sudo, '-n'] };
  return { allowed: false, prefix: [], reason: o.install ? 'not installing: that needs root (or sudo)' : 'not installing: not root; as root, `cxg doctor --install` installs them' };
}

/** Runs a command, its output to stderr; resolves to its exit code and output. */
export type Runner = (cmd: string[], env: NodeJS.ProcessEnv) => Promise<{ code: number; output: string }>;

export const runCommand: Runner = (cmd, env) =>
  new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (d: Buffer): void => {
      output += d.toString();
      process.stderr.write(d);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', (e) => resolve({ code: 127, output: e.message }));
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });

/** Packages `apt-cache policy` shows with a candidate version (the rest this Debian does not have). */
export function candidates(policyOutput: string): Set<string> {
  const out = new Set<string>();
  let pkg: string | undefined;
  for (const line of policyOutput.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) pkg = head[1];
    else if (pkg && /^\s+Candidate:\s+(?!\(none\))\S/.test(line)) out.add(pkg);
  }
  return out;
}

/**
 * apt-get update, then one apt-get install of every package this Debian has (non-interactive, no
 * recommends). Resolves to what was installed and what could not be.
 */
export async function installPackages(
  pkgs: string[],
  prefix: string[],
  run: Runner,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ installed: string[]; unavailable: string[]; failed: boolean }> {
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`doctor: apt-get update`);
  const update = await run([...prefix, 'apt-get', 'update', '-qq'], aptEnv);
  if (update.code !== 0) return { installed: [], unavailable: [], failed: true };
  const policy = await run([...prefix, 'apt-cache', 'policy', ...pkgs], aptEnv);
  const have = candidates(policy.output);
  const available = pkgs.filter((p) => have.has(p));
  const unavailable = pkgs.filter((p) => !have.has(p));
  for (const p of unavailable) log(`doctor: no Debian package ${p} here`);
  if (available.length === 0) return { installed: [], unavailable, failed: false };
  log(`doctor: installing ${available.join(' ')}`);
  const install = await run([...prefix, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...available], aptEnv);
  return { installed: install.code === 0 ? available : [], unavailable, failed: install.code !== 0 };
}

export interface DoctorReport {
  ok: boolean;
  checks: Check[];
  /** Debian packages installed by this run */
  installed: string[];
  /** why nothing was installed although something is missing */
  notInstalled?: string;
}

/**
 * The whole doctor: check; install what is missing when the policy allows (then check again); make
 * sure a Redis answers at REDIS_URL (`redis`: the stack's start of it, injected). Nothing is printed
 * to stdout; progress goes to `log`.
 */
export async function doctor(o: {
  install: boolean;
  log: (line: string) => void;
  redis: () => Promise<Check>;
  env?: NodeJS.ProcessEnv;
  probe?: () => Probe;
  run?: Runner;
  isRoot?: boolean;
}): Promise<DoctorReport> {
  const env = o.env ?? process.env;
  const probe = o.probe ?? (() => systemProbe({ env }));
  let checks = await checkPrerequisites(probe());
  const installed: string[] = [];
  let notInstalled: string | undefined;
  const pkgs = missingPackages(checks);
  if (pkgs.length) {
    const policy = installPolicy({ install: o.install, env, isRoot: o.isRoot ?? (process.getuid?.() === 0), sudo: which('sudo', env.PATH) });
    if (policy.allowed) {
      const r = await installPackages(pkgs, policy.prefix, o.run ?? runCommand, o.log, env);
      installed.push(...r.installed);
      if (r.failed) notInstalled = 'apt-get failed (its output is above)';
      forgetJavaProbes();
      checks = await checkPrerequisites(probe());
    } else {
      notInstalled = policy.reason;
    }
  }
  if (checks.find((c) => c.name === 'redis-server')?.ok) checks.push(await o.redis());
  return { ok: checks.every((c) => c.ok), checks, installed, ...(notInstalled ? { notInstalled } : {}) };
}

/** The lines under the table: what is missing and the one line that installs it all. */
export function summary(r: DoctorReport): string {
  const missing = r.checks.filter((c) => !c.ok);
  const lines: string[] = [];
  if (r.installed.length) lines.push(`installed: ${r.installed.join(' ')}`);
  if (missing.length === 0) {
    lines.push(`all ${r.checks.length} checks pass`);
    return lines.join('\n');
  }
  lines.push(`${missing.length} missing: ${missing.map((c) => c.name).join(', ')}`);
  const pkgs = missingPackages(r.checks);
  if (pkgs.length) lines.push(`as root: ${aptInstall(...pkgs)}`);
  if (r.notInstalled) lines.push(r.notInstalled);
  return lines.join('\n');
}
