// cxg doctor's checking logic against a PATH of fake programs (no real JVM, no real apt-get).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  candidates,
  checkPrerequisites,
  doctor,
  formatChecks,
  installPackages,
  installPolicy,
  missingPackages,
  satisfies,
  summary,
  systemProbe,
  type Check,
  type Runner,
} from './doctor.ts';

const root = mkdtempSync(join(tmpdir(), 'cxg-doctor-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder to use as PATH, with `programs` that print what a real one prints for --version. */
function fakePath(name: string, programs: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [cmd, script] of Object.entries(programs)) {
    writeFileSync(join(dir, cmd), `#!/bin/sh\n${script}\n`);
    chmodSync(join(dir, cmd), 0o755);
  }
  return dir;
}

const emptyCache = join(root, 'cache');
const byName = (checks: Check[], name: string): Check => checks.find((c) => c.name === name)!;

describe('checkPrerequisites with an injected PATH', () => {
  it('finds what is on PATH with its version, and names the install line of what is not', async () => {
    const PATH = fakePath('some', {
      npm: 'echo 11.19.1',
      promtool: 'echo "promtool, version 2.42.0+ds (branch: debian/sid)"',
      'redis-server': 'echo "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64"',
      bash: 'echo "GNU bash, version 5.2.15(1)-release"',
    });
    const checks = await checkPrerequisites(systemProbe({ env: { PATH, CXG_CACHE_DIR: emptyCache }, jvmRoots: [], redisPaths: [] }));

    expect(byName(checks, 'npm')).toMatchObject({ ok: true, version: '11.19.1', path: join(PATH, 'npm') });
    expect(byName(checks, 'promtool')).toMatchObject({ ok: true, version: '2.42.0', path: join(PATH, 'promtool') });
    expect(byName(checks, 'redis-server')).toMatchObject({ ok: true, version: '7.0.15' });
    expect(byName(checks, 'amtool')).toMatchObject({ ok: false, fix: 'apt-get install -y prometheus-alertmanager', package: 'prometheus-alertmanager' });
    expect(byName(checks, 'prometheus')).toMatchObject({ ok: false, fix: 'apt-get install -y prometheus', package: 'prometheus' });
    expect(byName(checks, 'java >= 17')).toMatchObject({ ok: false, fix: 'apt-get install -y openjdk-17-jre-headless' });
    expect(byName(checks, 'java >= 21')).toMatchObject({ ok: false, package: 'openjdk-21-jre-headless' });
    // an empty download cache: Maven is needed to fill it
    expect(byName(checks, 'mvn')).toMatchObject({ ok: false, fix: 'apt-get install -y maven' });

    expect(missingPackages(checks)).toEqual(['openjdk-17-jre-headless', 'openjdk-21-jre-headless', 'maven', 'prometheus-alertmanager', 'prometheus', 'openssl', 'chromium']);
    const table = formatChecks(checks);
    expect(table.split('\n')[0]).toMatch(/^CHECK\s+NEEDED FOR\s+FOUND\s+STATUS$/);
    expect(table).toMatch(/^amtool\s.*not found\s+MISSING: apt-get install -y prometheus-alertmanager$/m);
    expect(table).toMatch(/^promtool\s.*2\.42\.0 {2}\S+promtool\s+OK$/m);
  });

  it('takes Java from PATH like the stack does, and says which one is too old', async () => {
    const PATH = fakePath('java17', { java: 'echo \'openjdk version "17.0.15" 2025-04-15\' >&2' });
    const checks = await checkPrerequisites(systemProbe({ env: { PATH }, jvmRoots: [], redisPaths: [] }));
    expect(byName(checks, 'java >= 17')).toMatchObject({ ok: true, version: '17.0.15', path: join(PATH, 'java') });
    expect(byName(checks, 'java >= 21')).toMatchObject({ ok: false, note: 'newest found is 17.0.15' });
    expect(formatChecks(checks)).toMatch(/^java >= 21\s.*\(newest found is 17\.0\.15\)\s+MISSING: apt-get install -y openjdk-21-jre-headless /m);
  });

  it('needs no Java for services outside the local stack', async () => {
    const env = { PATH: fakePath('none', {}), KAFKA_BROKERS: 'k1:9092,k2:9092', SCHEMA_REGISTRY_URL: 'https://registry.example/apis/ccompat/v7' };
    const checks = await checkPrerequisites(systemProbe({ env, jvmRoots: [], redisPaths: [] }));
    expect(byName(checks, 'java >= 17')).toMatchObject({ ok: true, note: 'not needed: KAFKA_BROKERS names a service outside the local stack' });
    expect(byName(checks, 'java >= 21').ok).toBe(true);
    expect(byName(checks, 'mvn').ok).toBe(true);
  });

  it('holds node to the range package.json declares', async () => {
    const p = { ...systemProbe({ env: { PATH: fakePath('none', {}) }, jvmRoots: [], redisPaths: [] }), nodeVersion: '20.10.0', nodeRange: '>=20.19' };
    expect(byName(await checkPrerequisites(p), 'node >=20.19')).toMatchObject({ ok: false, note: 'too old' });
    expect(satisfies('20.19.0', '>=20.19')).toBe(true);
    expect(satisfies('22.1.0', '>=20.19')).toBe(true);
    expect(satisfies('20.9.9', '>=20.19')).toBe(false);
  });
});

describe('installing', () => {
  it('installs only as root with CI or --install; with --install and sudo otherwise', () => {
    expect(installPolicy({ install: false, env: {}, isRoot: false, sudo: '/usr/bin/sudo' }).allowed).toBe(false);
    expect(installPolicy({ install: false, env: { CI: 'true' }, isRoot: false, sudo: undefined }).allowed).toBe(false);
    expect(installPolicy({ install: false, env: {}, isRoot: true, sudo: undefined }).allowed).toBe(false);
    expect(installPolicy({ install: false, env: { CI: 'false' }, isRoot: true, sudo: undefined }).allowed).toBe(false);
    expect(installPolicy({ install: false, env: { CI: 'true' }, isRoot: true, sudo: undefined })).toEqual({ allowed: true, prefix: [] });
    expect(installPolicy({ install: true, env: {}, isRoot: true, sudo: undefined })).toEqual({ allowed: true, prefix: [] });
    expect(installPolicy({ install: true, env: {}, isRoot: false, sudo: '/usr/bin/sudo' })).toEqual({ allowed: true, prefix: ['/usr/bin/sudo', '-n'] });
  });

  it('runs apt-get update, then one non-interactive install of the packages this Debian has', async () => {
    const calls: { cmd: string[]; frontend: string | undefined }[] = [];
    const policy = [
      'prometheus:',
      '  Installed: (none)',
      '  Candidate: 2.42.0+ds-5+deb12u1',
      'openjdk-21-jre-headless:',
      '  Installed: (none)',
      '  Candidate: (none)',
    ].join('\n');
    const run: Runner = async (cmd, env) => {
      calls.push({ cmd, frontend: env.DEBIAN_FRONTEND });
      return { code: 0, output: cmd.includes('policy') ? policy : '' };
    };
    const r = await installPackages(['prometheus', 'openjdk-21-jre-headless'], [], run, () => {}, {});
    expect(calls.map((c) => c.cmd)).toEqual([
      ['apt-get', 'update', '-qq'],
      ['apt-cache', 'policy', 'prometheus', 'openjdk-21-jre-headless'],
      ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'prometheus'],
    ]);
    expect(calls.every((c) => c.frontend === 'noninteractive')).toBe(true);
    expect(r).toEqual({ installed: ['prometheus'], unavailable: ['openjdk-21-jre-headless'], failed: false });
    expect([...candidates(policy)]).toEqual(['prometheus']);
  });

  it('reports and fails without installing when not root and not CI', async () => {
    const PATH = fakePath('none', {});
    const never: Runner = async (cmd) => {
      throw new Error(`must not run ${cmd.join(' ')}`);
    };
    let redisAsked = false;
    const report = await doctor({
      install: false,
      env: { PATH, CXG_CACHE_DIR: emptyCache },
      isRoot: false,
      run: never,
      log: () => {},
      probe: () => systemProbe({ env: { PATH, CXG_CACHE_DIR: emptyCache }, jvmRoots: [], redisPaths: [] }),
      redis: async () => {
        redisAsked = true;
        return { name: 'redis at REDIS_URL', neededFor: '', ok: true };
      },
    });
    expect(report.ok).toBe(false);
    expect(report.installed).toEqual([]);
    // no redis-server: nothing to start a Redis with, so doctor does not try
    expect(redisAsked).toBe(false);
    const text = summary(report);
    expect(text).toContain('as root: apt-get install -y openjdk-17-jre-headless openjdk-21-jre-headless maven redis-server prometheus prometheus-alertmanager bash openssl');
    expect(text).toContain('not installing: not root');
  });
});
