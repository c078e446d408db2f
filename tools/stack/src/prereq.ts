// Finding the programs the stack needs (Java, Maven, redis-server), and the Debian package that brings
// each: the stack's "not found" messages and `cxg doctor` both say how to get one from here.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Apicurio Registry 3.3.x ships Java 21 bytecode (class file 65); Kafka 4.x needs Java 17. */
export const KAFKA_MIN_JAVA = 17;
export const REGISTRY_MIN_JAVA = 21;

/** The Debian package of each prerequisite. */
export const PACKAGES = {
  java17: 'openjdk-17-jre-headless',
  java21: 'openjdk-21-jre-headless',
  maven: 'maven',
  redis: 'redis-server',
  prometheus: 'prometheus',
  alertmanager: 'prometheus-alertmanager',
  bash: 'bash',
  openssl: 'openssl',
  chromium: 'chromium',
} as const;

/** The exact line that installs Debian packages. */
export const aptInstall = (...pkgs: string[]): string => `apt-get install -y ${pkgs.join(' ')}`;

/** An executable named `cmd` in `path` (a PATH value). */
export function which(cmd: string, path: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface JavaRuntime {
  bin: string;
  major: number;
  version: string;
}

/** Which Java a service needs, how the stack picks one, and what to say when there is none. */
export interface JavaWanted {
  min: number;
  /** a variable naming a JDK home to try first */
  overrideVar?: string;
  /** the newest that qualifies rather than the first */
  preferNewest?: boolean;
  hint: string;
}

export const HINTS = {
  java17: `Java ${KAFKA_MIN_JAVA}+ not found (Kafka needs it): ${aptInstall(PACKAGES.java17)} (or set JAVA_HOME)`,
  java21:
    `Java ${REGISTRY_MIN_JAVA}+ not found (Apicurio Registry 3.3 is built for Java 21): install a JDK ${REGISTRY_MIN_JAVA} or newer ` +
    `(Debian 13: ${aptInstall(PACKAGES.java21)}; Debian 12 packages only 17, use e.g. a Temurin JDK under /usr/lib/jvm) ` +
    'and point CXG_REGISTRY_JAVA_HOME (or JAVA_HOME) at it',
  mvn: `mvn not found (needed once, to download Kafka and Apicurio Registry into the cache): ${aptInstall(PACKAGES.maven)}`,
  redis: (port: number) => `redis-server not found and nothing answers on 127.0.0.1:${port}: ${aptInstall(PACKAGES.redis)}`,
};

export const KAFKA_JAVA: JavaWanted = { min: KAFKA_MIN_JAVA, hint: HINTS.java17 };
export const REGISTRY_JAVA: JavaWanted = { min: REGISTRY_MIN_JAVA, overrideVar: 'CXG_REGISTRY_JAVA_HOME', preferNewest: true, hint: HINTS.java21 };

/** Where JDKs are installed besides JAVA_HOME and PATH. */
export const JVM_ROOTS = ['/usr/lib/jvm', '/usr/java', '/opt/java'];

const probed = new Map<string, JavaRuntime | null>();

/** Forgets what `java -version` said (after an install, /usr/bin/java may be another JDK). */
export function forgetJavaProbes(): void {
  probed.clear();
}

/** Runs `java -version` (it prints to stderr, e.g. `openjdk version "17.0.15" 2025-04-15`). */
function probeJava(bin: string): JavaRuntime | null {
  const cached = probed.get(bin);
  if (cached !== undefined) return cached;
  let result: JavaRuntime | null = null;
  const r = spawnSync(bin, ['-version'], { encoding: 'utf8', timeout: 15_000 });
  const m = r.error ? null : /version "([^"]+)"/.exec(`${r.stderr ?? ''}${r.stdout ?? ''}`);
  if (m) {
    const parts = m[1]!.split(/[.+_-]/).map(Number);
    const major = parts[0] === 1 ? (parts[1] ?? 0) : (parts[0] ?? 0);
    result = { bin, major, version: m[1]! };
  }
  probed.set(bin, result);
  return result;
}

export interface JavaSearch {
  env?: NodeJS.ProcessEnv;
  jvmRoots?: string[];
}

/** Java executables to consider, most explicit first: an override, JAVA_HOME, PATH, then <jvm root>/*. */
function javaCandidates(overrideVar: string | undefined, { env = process.env, jvmRoots = JVM_ROOTS }: JavaSearch): string[] {
  const out: string[] = [];
  const add = (p: string | undefined): void => {
    if (p && existsSync(p) && !out.includes(p)) out.push(p);
  };
  if (overrideVar && env[overrideVar]) add(join(env[overrideVar]!, 'bin', 'java'));
  if (env.JAVA_HOME) add(join(env.JAVA_HOME, 'bin', 'java'));
  add(which('java', env.PATH));
  for (const root of jvmRoots) {
    let entries: string[] = [];
    try {
      entries = readdirSync(root);
    } catch {
      continue;
    }
    for (const e of entries.sort().reverse()) add(join(root, e, 'bin', 'java'));
  }
  return out;
}

/**
 * A Java runtime of at least `min`. With `preferNewest`, the newest found (the registry benefits from a
 * recent JVM); otherwise the first in the order above (Kafka runs on the default `java`).
 */
export function findJava(min: number, opts: { overrideVar?: string; preferNewest?: boolean } & JavaSearch = {}): JavaRuntime | undefined {
  const found: JavaRuntime[] = [];
  for (const bin of javaCandidates(opts.overrideVar, opts)) {
    const j = probeJava(bin);
    if (j && j.major >= min) {
      if (!opts.preferNewest) return j;
      found.push(j);
    }
  }
  found.sort((a, b) => b.major - a.major);
  return found[0];
}

/** The Java a service runs on, found the way `cxg stack up` finds it. */
export function findJavaFor(w: JavaWanted, search: JavaSearch = {}): JavaRuntime | undefined {
  return findJava(w.min, { ...search, ...(w.overrideVar ? { overrideVar: w.overrideVar } : {}), ...(w.preferNewest ? { preferNewest: true } : {}) });
}

/** The newest Java found at all (for a report: "found 17, needs 21"). */
export function newestJava(search: JavaSearch = {}): JavaRuntime | undefined {
  return findJava(0, { ...search, preferNewest: true });
}

export function findMaven(path: string | undefined = process.env.PATH): string | undefined {
  return which('mvn', path);
}

/** Where redis-server may be when PATH misses it (a PATH without the sbin folders, say). */
export const REDIS_SERVER_PATHS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server'];

export function findRedisServer(path: string | undefined = process.env.PATH, extra: string[] = REDIS_SERVER_PATHS): string | undefined {
  return which('redis-server', path) ?? extra.find((p) => existsSync(p));
}
