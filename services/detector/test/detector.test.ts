// The detector's batch logic against the real Redis (REDIS_URL, default 127.0.0.1:6379), fed with
// Kafka-shaped batches in memory: crashes are simulated by throwing away the handler at random points
// and re-reading from the offsets it last let the runner commit (the suite: batch-logic.ts).
import { afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { redisNowMs } from '@cxg/platform/testing';
import { RedisDetectorStore } from '../src/index.ts';
import { describeBatchLogic } from './batch-logic.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
afterAll(() => redis.disconnect());
// The handler's clock is the store's (see redisNowMs); the history lies in the past of any such clock.
const NOW = await redisNowMs(redis);

describeBatchLogic('detector batch logic on real Redis', () => new RedisDetectorStore(redis, { stateTtlMs: 3_600_000 }), NOW);
