// Feeds records to a sink (Kafka, in the CLI) in batches, paced to a target rate.
import { setTimeout as delay } from 'node:timers/promises';
import { TokenBucket } from './bucket.ts';
import { progressBar } from './progress.ts';
import type { SimRecord } from './record.ts';
import type { ProgressSource } from './simulate.ts';

/**
 * Where pumped records go. The simulator never opens or closes one itself: its owner does.
 * With --bad-ratio some values break the schema (missing field, wrong type, unknown enum) and
 * cannot be Avro-encoded; a sink should send those as raw bytes, which consumers must reject as
 * undecodable, rather than fail the batch.
 */
export interface RecordSink {
  send(batch: SimRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Wall clock, injected so tests can pace without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => delay(ms),
};

export interface PumpOptions {
  /** Records per second; unset = as fast as the sink takes them. */
  readonly rate?: number;
  /** Most records per send (default 500); with a rate, batches shrink to ~1/10 s of traffic. */
  readonly batchSize?: number;
  readonly progress?: ProgressSource | false;
  readonly clock?: Clock;
  /** Stops after the batch in flight; the result says `aborted`. */
  readonly signal?: AbortSignal;
}

export interface PumpResult {
  readonly records: number;
  readonly batches: number;
  readonly elapsedMs: number;
  readonly aborted: boolean;
}

const DEFAULT_BATCH = 500;

export async function pump(records: Iterable<SimRecord>, sink: RecordSink, options: PumpOptions = {}): Promise<PumpResult> {
  const clock = options.clock ?? systemClock;
  const { rate, signal } = options;
  const maxBatch = options.batchSize ?? DEFAULT_BATCH;
  if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) throw new RangeError(`batch size must be a positive integer, got ${maxBatch}`);
  if (rate !== undefined && !(rate > 0)) throw new RangeError(`rate must be positive, got ${rate}`);
  const batchSize = rate === undefined ? maxBatch : Math.max(1, Math.min(maxBatch, Math.floor(rate / 10)));
  const started = clock.now();
  const bucket = rate === undefined ? null : new TokenBucket(rate, batchSize, started);
  const bar = progressBar(options.progress, 'kafka');
  let count = 0;
  let batches = 0;
  let batch: SimRecord[] = [];

  const send = async (): Promise<void> => {
    const wait = bucket?.reserve(batch.length, clock.now()) ?? 0;
    if (wait > 0) await clock.sleep(wait);
    await sink.send(batch);
    batches++;
    batch = [];
  };

  try {
    for (const record of records) {
      if (signal?.aborted) break;
      batch.push(record);
      bar.tick(++count);
      if (batch.length >= batchSize) await send();
    }
    if (batch.length > 0 && !signal?.aborted) await send();
  } finally {
    bar.stop();
  }
  const sent = count - batch.length;
  return { records: sent, batches, elapsedMs: clock.now() - started, aborted: signal?.aborted ?? false };
}
