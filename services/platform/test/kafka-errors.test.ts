// The clear messages of explainKafkaError, from errors shaped as kafkajs throws them, and the
// logger's redaction; the real broker's answers are checked in test/security.test.ts.
import { Writable } from 'node:stream';
import { KafkaJSNonRetriableError, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../src/env.ts';
import { explainKafkaError, KafkaAccessError, kafkaSslOption } from '../src/kafka.ts';

const endpoints = { kafkaBrokers: ['127.0.0.1:9094'], kafkaSasl: { mechanism: 'scram-sha-512' as const, username: 'cx-kpi', password: 'pw' }, kafkaSsl: true };

describe('explainKafkaError', () => {
  it('names the user and broker of a failed SASL authentication', () => {
    const e = explainKafkaError(new (KafkaJSSASLAuthenticationError as unknown as new (m: string) => Error)('SASL SCRAM SHA512 authentication failed: bad'), endpoints);
    expect(e).toBeInstanceOf(KafkaAccessError);
    expect((e as Error).message).toBe('Kafka SASL authentication failed for user cx-kpi at 127.0.0.1:9094: SASL SCRAM SHA512 authentication failed: bad');
  });

  it('names the topic or group the ACLs refused, through kafkajs wrappers', () => {
    const topic = new KafkaJSNonRetriableError(new KafkaJSProtocolError({ type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false, message: 'Not authorized to access topics: [Topic authorization failed]' } as never));
    expect((explainKafkaError(topic, endpoints, { verb: 'write to', topics: ['cx.kpi-alerts.v1'] }) as Error).message).toBe(
      "Kafka: user cx-kpi is not authorized to write to topic cx.kpi-alerts.v1 at 127.0.0.1:9094 (TOPIC_AUTHORIZATION_FAILED: the broker's ACLs do not allow it)",
    );
    const group = new KafkaJSProtocolError({ type: 'GROUP_AUTHORIZATION_FAILED', code: 30, retriable: false, message: 'Not authorized to access group' } as never);
    expect((explainKafkaError(group, endpoints, { groupId: 'other' }) as Error).message).toMatch(/^Kafka: user cx-kpi is not authorized to use consumer group other at 127\.0\.0\.1:9094 \(GROUP_AUTHORIZATION_FAILED/);
  });

  it('leaves other errors alone', () => {
    const other = new Error('boom');
    expect(explainKafkaError(other, endpoints)).toBe(other);
  });

  it('passes the CA to kafkajs', () => {
    expect(kafkaSslOption({ kafkaSsl: false })).toBe(false);
    expect(kafkaSslOption({ kafkaSsl: true })).toBe(true);
    expect(kafkaSslOption({ kafkaSsl: true, kafkaSslCa: 'PEM' })).toEqual({ ca: ['PEM'] });
  });
});

describe('log redaction', () => {
  it('blanks passwords and credential-carrying URLs wherever endpoints are logged', () => {
    let out = '';
    const sink = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
    const log = pino({ redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } }, sink);
    log.info({ endpoints: { kafkaSasl: { username: 'u', password: 'hunter2' }, redisUrl: 'redis://:hunter2@h', clickhouseUrl: 'http://u:hunter2@h', pseudonymKey: 'hunter2' } }, 'x');
    log.info({ sasl: { password: 'hunter2' }, password: 'hunter2' }, 'y');
    expect(out).toContain('[redacted]');
    expect(out).not.toContain('hunter2');
  });
});

describe('KAFKA_ACCESS', () => {
  it('gives each worker the group prefix of its default group', async () => {
    const { WORKER_DEFAULTS } = await import('../src/settings.ts');
    const { KAFKA_ACCESS } = await import('../src/kafka.ts');
    expect(KAFKA_ACCESS.detector.groupPrefix).toBe(WORKER_DEFAULTS.detector.groupId);
    expect(KAFKA_ACCESS.kpi.groupPrefix).toBe(WORKER_DEFAULTS.kpi.groupId);
    expect(KAFKA_ACCESS.accruals.groupPrefix).toBe(WORKER_DEFAULTS.accruals.groupId);
  });
});
