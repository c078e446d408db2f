import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir, findRepoRoot, managedServices, redisTarget, stackEnv, stackPorts } from './env.ts';

describe('stackEnv', () => {
  it('defaults to the local stack, ClickHouse embedded under <repo>/.cxg', () => {
    expect(stackEnv({})).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
      REDIS_URL: 'redis://127.0.0.1:6379',
      CLICKHOUSE_URL: `chdb://${join(findRepoRoot(), '.cxg', 'clickhouse')}`,
    });
  });

  it('follows CXG_*_PORT', () => {
    const env = { CXG_KAFKA_PORT: '19092', CXG_REGISTRY_PORT: '18081', CXG_REDIS_PORT: '16379' };
    expect(stackEnv(env)).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:19092',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:18081/apis/ccompat/v7',
      REDIS_URL: 'redis://127.0.0.1:16379',
    });
  });

  it('keeps a variable that is set, and takes the local port from it', () => {
    const env = { KAFKA_BROKERS: 'localhost:29092', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:28081/apis/ccompat/v7', REDIS_URL: 'redis://127.0.0.1:26379/2' };
    expect(stackEnv(env)).toMatchObject(env);
    expect(stackPorts(env)).toMatchObject({ kafka: 29092, kafkaController: 9093, registry: 28081, registryManagement: 9081, redis: 26379 });
    expect(managedServices(stackEnv(env), stackPorts(env))).toEqual({ kafka: true, registry: true, redis: true });
  });

  it('treats endpoints elsewhere as external: checked, never started', () => {
    const env = { KAFKA_BROKERS: 'k1:9092,k2:9092', SCHEMA_REGISTRY_URL: 'https://registry.example/apis/ccompat/v7', REDIS_URL: 'rediss://cache.example:6380' };
    expect(managedServices(stackEnv(env), stackPorts(env))).toEqual({ kafka: false, registry: false, redis: false });
  });

  it('rejects a port that is not one', () => {
    expect(() => stackPorts({ CXG_KAFKA_PORT: 'abc' })).toThrow(/CXG_KAFKA_PORT/);
    expect(() => stackPorts({ CXG_REGISTRY_PORT: '70000' })).toThrow(/CXG_REGISTRY_PORT/);
  });
});

describe('cacheDir', () => {
  it('is outside the repository: CXG_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(cacheDir({ CXG_CACHE_DIR: '/tmp/x' })).toBe('/tmp/x');
    expect(cacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/cx-gainshare');
    expect(cacheDir({})).toMatch(/\.cache\/cx-gainshare$/);
  });
});

describe('redisTarget', () => {
  it('reads host, port, credentials and TLS from the URL', () => {
    expect(redisTarget('redis://127.0.0.1:6379')).toEqual({ host: '127.0.0.1', port: 6379, tls: false });
    expect(redisTarget('rediss://user:p%40ss@cache:7000/1')).toEqual({ host: 'cache', port: 7000, tls: true, username: 'user', password: 'p@ss' });
  });
});
