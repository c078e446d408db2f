// Finding the programs the stack needs (Java, Maven, redis-server), with messages that say how to get
// each one that is missing.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Apicurio Registry 3.3.x ships Java 21 bytecode (class file 65); Kafka 4.x needs Java 17. */
export const KAFKA_MIN_JAVA = 17;
export const REGISTRY_MIN_JAVA = 21;

export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
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

const probed = new Map<string, JavaRuntime | null>();

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

/** Java executables to consider, most explicit first: an override, JAVA_HOME, PATH, then /usr/lib/jvm/*. */
function javaCandidates(overrideVar?: string): string[] {
  const out: string[] = [];
  const add = (p: string | undefined): void => {
    if (p && existsSync(p) && !out.includes(p)) out.push(p);
  };
  if (overrideVar && process.env[overrideVar]) add(join(process.env[overrideVar]!, 'bin', 'java'));
  if (process.env.JAVA_HOME) add(join(process.env.JAVA_HOME, 'bin', 'java'));
  add(which('java'));
  for (const root of ['/usr/lib/jvm', '/usr/java', '/opt/java']) {
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
export function findJava(min: number, opts: { overrideVar?: string; preferNewest?: boolean } = {}): JavaRuntime | undefined {
  const found: JavaRuntime[] = [];
  for (const bin of javaCandidates(opts.overrideVar)) {
    const j = probeJava(bin);
    if (j && j.major >= min) {
      if (!opts.preferNewest) return j;
      found.push(j);
    }
  }
  found.sort((a, b) => b.major - a.major);
  return found[0];
}

export const HINTS = {
  java17: `Java ${KAFKA_MIN_JAVA}+ not found (Kafka needs it): apt-get install openjdk-17-jre-headless (or set JAVA_HOME)`,
  java21:
    `Java ${REGISTRY_MIN_JAVA}+ not found (Apicurio Registry 3.3 is built for Java 21): install a JDK ${REGISTRY_MIN_JAVA} or newer ` +
    '(Debian 13: apt-get install openjdk-21-jre-headless; Debian 12 packages only 17, use e.g. a Temurin JDK under /usr/lib/jvm) ' +
    'and point CXG_REGISTRY_JAVA_HOME (or JAVA_HOME) at it',
  mvn: 'mvn not found (needed once, to download Kafka and Apicurio Registry into the cache): apt-get install maven',
  redis: (port: number) => `redis-server not found and nothing answers on 127.0.0.1:${port}: apt-get install redis-server`,
};

export function findMaven(): string | undefined {
  return which('mvn');
}

export function findRedisServer(): string | undefined {
  return which('redis-server') ?? ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server'].find((p) => existsSync(p));
}
