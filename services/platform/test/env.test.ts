import { describe, expect, it } from 'vitest';
import { readEndpoints } from '../src/env.ts';

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
