// Downloads (once) and locates the stack's Java programs: Kafka's jars and Apicurio Registry's Quarkus
// app, both from Maven Central through this package's pom.xml, kept in the cache folder outside the repo.
// A finished download is a directory that exists (written under a temporary name, then renamed), so a
// warm start runs no Maven at all and an interrupted one leaves nothing half-done behind.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './env.ts';
import { findMaven, HINTS } from './prereq.ts';
import { StackError } from './proc.ts';

/** The download-only Maven project beside this package's sources. */
const POM = fileURLToPath(new URL('../pom.xml', import.meta.url));

export const KAFKA_VERSION = '4.4.0';
export const APICURIO_VERSION = '3.3.3';

export interface ArtifactPaths {
  cache: string;
  mavenRepo: string;
  kafkaVersion: string;
  /** directory of jars: the classpath is <kafkaLibs>/* */
  kafkaLibs: string;
  apicurioVersion: string;
  /** the unpacked fast-jar: <registryApp>/quarkus-run.jar */
  registryApp: string;
}

export function artifactPaths(env: NodeJS.ProcessEnv = process.env): ArtifactPaths {
  const cache = cacheDir(env);
  const kafkaVersion = env.CXG_KAFKA_VERSION || KAFKA_VERSION;
  const apicurioVersion = env.CXG_APICURIO_VERSION || APICURIO_VERSION;
  return {
    cache,
    mavenRepo: env.CXG_MAVEN_REPO_LOCAL || join(cache, 'm2'),
    kafkaVersion,
    kafkaLibs: join(cache, `kafka_2.13-${kafkaVersion}`, 'libs'),
    apicurioVersion,
    registryApp: join(cache, `apicurio-registry-${apicurioVersion}`),
  };
}

export function haveKafka(a: ArtifactPaths): boolean {
  return existsSync(a.kafkaLibs) && readdirSync(a.kafkaLibs).some((f) => f.startsWith('kafka_2.13-'));
}

export function haveRegistry(a: ArtifactPaths): boolean {
  return existsSync(join(a.registryApp, 'quarkus-run.jar'));
}

/** Fetches whichever of the two is missing, with one Maven run. Needs `mvn` only when something is. */
export async function ensureArtifacts(need: { kafka: boolean; registry: boolean }, log: (line: string) => void): Promise<ArtifactPaths> {
  const a = artifactPaths();
  const kafka = need.kafka && !haveKafka(a);
  const registry = need.registry && !haveRegistry(a);
  if (!kafka && !registry) return a;

  const mvn = findMaven();
  if (!mvn) throw new StackError(HINTS.mvn);
  const what = [kafka && `Kafka ${a.kafkaVersion}`, registry && `Apicurio Registry ${a.apicurioVersion}`].filter(Boolean).join(' and ');
  log(`downloading ${what} from Maven Central into ${a.cache} (once; later starts reuse it)`);
  mkdirSync(a.cache, { recursive: true });

  const tag = `.tmp-${process.pid}`;
  const kafkaTmp = join(a.cache, `kafka_2.13-${a.kafkaVersion}${tag}`);
  const registryTmp = `${a.registryApp}${tag}`;
  for (const d of [kafkaTmp, registryTmp, `${registryTmp}.markers`]) rmSync(d, { recursive: true, force: true });
  const args = [
    '-B',
    '-q',
    '-Dstyle.color=never',
    '-f',
    POM,
    `-Dmaven.repo.local=${a.mavenRepo}`,
    `-Dkafka.version=${a.kafkaVersion}`,
    `-Dapicurio.version=${a.apicurioVersion}`,
    `-Dcxg.kafka.out=${join(kafkaTmp, 'libs')}`,
    `-Dcxg.registry.out=${registryTmp}`,
    `-Dcxg.skip.kafka=${!kafka}`,
    `-Dcxg.skip.registry=${!registry}`,
    'generate-resources',
  ];
  const started = Date.now();
  const { code, output } = await run(mvn, args, a.cache);
  try {
    if (code !== 0) {
      const lines = output.split('\n').filter((l) => /ERROR|Could not|Failed/.test(l)).slice(0, 12).join('\n');
      throw new StackError(`Maven could not fetch ${what} (exit ${code}); is Maven Central reachable?\n${lines || output.slice(-2000)}`);
    }
    if (kafka) {
      rmSync(join(a.kafkaLibs, '..'), { recursive: true, force: true });
      renameSync(kafkaTmp, join(a.kafkaLibs, '..'));
    }
    if (registry) {
      rmSync(a.registryApp, { recursive: true, force: true });
      renameSync(registryTmp, a.registryApp);
    }
  } finally {
    for (const d of [kafkaTmp, registryTmp, `${registryTmp}.markers`]) rmSync(d, { recursive: true, force: true });
  }
  if ((kafka && !haveKafka(a)) || (registry && !haveRegistry(a))) throw new StackError(`Maven ran but ${what} is not where expected under ${a.cache}`);
  log(`downloaded ${what} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return a;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}
