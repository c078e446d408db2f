// The local stack answers: Kafka (kafkajs admin), the Confluent-compatible registry, Redis.
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';

const env = inject('stackEnv');

describe('local stack', () => {
  it('puts the endpoints into the environment of the tests', () => {
    expect(process.env.KAFKA_BROKERS).toBe(env.KAFKA_BROKERS);
    expect(process.env.SCHEMA_REGISTRY_URL).toBe(env.SCHEMA_REGISTRY_URL);
    expect(process.env.REDIS_URL).toBe(env.REDIS_URL);
  });

  it('Kafka: kafkajs admin connects and lists topics', async () => {
    const admin = new Kafka({ clientId: 'stack-test', brokers: env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      expect(Array.isArray(topics)).toBe(true);
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.length).toBeGreaterThan(0);
    } finally {
      await admin.disconnect();
    }
  });

  it('registry: GET /subjects is a JSON array, global compatibility BACKWARD', async () => {
    const subjects = await fetch(`${env.SCHEMA_REGISTRY_URL}/subjects`);
    expect(subjects.status).toBe(200);
    expect(Array.isArray(await subjects.json())).toBe(true);
    const config = await fetch(`${env.SCHEMA_REGISTRY_URL}/config`);
    expect(((await config.json()) as { compatibilityLevel: string }).compatibilityLevel).toBe('BACKWARD');
  });

  it('Redis: PING answers PONG', async () => {
    const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });
});
