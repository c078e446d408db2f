import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEndpoints, redactUrl, redisTlsOptions, secretFromEnv } from '../src/env.ts';

describe('readEndpoints', () => {
  it('has the documented defaults', () => {
    const e = readEndpoints({});
    expect(e.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(e.schemaRegistryUrl).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(e.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(e.clickhouseUrl).toMatch(/^chdb:\/\/.*\.cxg\/clickhouse$/);
    expect(e.partitions).toBe(6);
    expect(e.kafkaSasl).toBeNull();
  });

  it('names the variable that is wrong', () => {
    expect(() => readEndpoints({ CX_PARTITIONS: 'six' })).toThrow(/CX_PARTITIONS/);
    expect(() => readEndpoints({ KAFKA_SASL_MECHANISM: 'kerberos' })).toThrow(/KAFKA_SASL_MECHANISM/);
  });

  it('reads SASL, TLS and a broker list', () => {
    const e = readEndpoints({ KAFKA_BROKERS: 'a:1, b:2', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_USERNAME: 'u', KAFKA_PASSWORD: 'p', KAFKA_SSL: 'true' });
    expect(e.kafkaBrokers).toEqual(['a:1', 'b:2']);
    expect(e.kafkaSasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(e.kafkaSsl).toBe(true);
  });
});

describe('secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cxg-env-'));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('takes NAME or the file NAME_FILE names (one trailing newline dropped)', () => {
    expect(secretFromEnv({ X: 's3cret' }, 'X')).toBe('s3cret');
    expect(secretFromEnv({ X_FILE: file('x', 'from-file\n') }, 'X')).toBe('from-file');
    expect(secretFromEnv({}, 'X')).toBeUndefined();
    expect(secretFromEnv({ X: '' }, 'X')).toBeUndefined();
  });

  it('refuses both, an unreadable and an empty file, naming the variable and never the value', () => {
    expect(() => secretFromEnv({ X: 'a', X_FILE: file('y', 'b') }, 'X')).toThrow('X and X_FILE are both set: set only one of them');
    expect(() => secretFromEnv({ X_FILE: join(dir, 'missing') }, 'X')).toThrow(/^X_FILE: cannot read .*missing \(ENOENT\)$/);
    expect(() => secretFromEnv({ X_FILE: file('empty', '\n') }, 'X')).toThrow(/^X_FILE: .*empty is empty$/);
    try {
      secretFromEnv({ X: 'hunter2', X_FILE: file('z', 'hunter3') }, 'X');
    } catch (e) {
      expect(String(e)).not.toMatch(/hunter/);
    }
  });

  it('reads KAFKA_PASSWORD_FILE, the Kafka CA (which implies TLS) and wants a user with a mechanism', () => {
    const e = readEndpoints({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_USERNAME: 'cx-kpi', KAFKA_PASSWORD_FILE: file('kp', 'pw\n'), KAFKA_SSL_CA_FILE: file('ca', 'PEM') });
    expect(e.kafkaSasl).toEqual({ mechanism: 'scram-sha-512', username: 'cx-kpi', password: 'pw' });
    expect(e.kafkaSsl).toBe(true);
    expect(e.kafkaSslCa).toBe('PEM');
    expect(() => readEndpoints({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_USERNAME: 'u' })).toThrow(/KAFKA_PASSWORD \(or KAFKA_PASSWORD_FILE\)/);
    expect(() => readEndpoints({ KAFKA_SSL_CA_FILE: join(dir, 'nope') })).toThrow(/^KAFKA_SSL_CA_FILE: cannot read/);
    expect(() => readEndpoints({ KAFKA_SSL: 'yes' })).toThrow(/KAFKA_SSL: expected true or false/);
  });

  it('gives ioredis the CA and credentials kept out of the URL', () => {
    const env = { REDIS_URL: 'rediss://127.0.0.1:6390', REDIS_TLS_CA_FILE: file('rca', 'RPEM'), REDIS_USERNAME: 'cx-kpi', REDIS_PASSWORD_FILE: file('rp', 'rpw') };
    const e = readEndpoints(env);
    expect(redisTlsOptions(e)).toEqual({ tls: { ca: 'RPEM' }, username: 'cx-kpi', password: 'rpw' });
    expect(redisTlsOptions(env.REDIS_URL, env)).toEqual({ tls: { ca: 'RPEM' }, username: 'cx-kpi', password: 'rpw' });
    expect(redisTlsOptions('redis://127.0.0.1:6379', {})).toEqual({});
    expect(() => readEndpoints({ REDIS_URL: 'redis://h:1', REDIS_TLS_CA_FILE: env.REDIS_TLS_CA_FILE })).toThrow(/REDIS_TLS_CA_FILE is set but REDIS_URL is not a rediss:\/\//);
    expect(() => readEndpoints({ REDIS_URL: 'redis://:pw@h:1', REDIS_PASSWORD: 'x' })).toThrow(/REDIS_URL carries a password/);
  });

  it('folds CLICKHOUSE_USER and CLICKHOUSE_PASSWORD_FILE into a server URL, refuses them for chdb', () => {
    const e = readEndpoints({ CLICKHOUSE_URL: 'http://ch:8123/cx', CLICKHOUSE_USER: 'finance', CLICKHOUSE_PASSWORD_FILE: file('chp', 'p@ss\n') });
    expect(e.clickhouseUrl).toBe('http://finance:p%40ss@ch:8123/cx');
    expect(redactUrl(e.clickhouseUrl)).toBe('http://finance:***@ch:8123/cx');
    expect(() => readEndpoints({ CLICKHOUSE_PASSWORD: 'x' })).toThrow(/chdb:\/\/ one has no users/);
  });

  it('reads CX_PSEUDONYM_KEY_FILE', () => {
    expect(readEndpoints({ CX_PSEUDONYM_KEY_FILE: file('pk', 'key\n') }).pseudonymKey).toBe('key');
    expect(readEndpoints({}).pseudonymKey).toBeNull();
  });
});
