// The wire-protocol probe against a fake broker that answers like Kafka 4 does (request header v1,
// response header v0), so framing and parsing are checked without a JVM.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeKafka } from './kafka-probe.ts';

function i16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
}
function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}
function str(s: string | null): Buffer {
  if (s === null) return i16(-1);
  return Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
}

interface Fake {
  server: Server;
  port: number;
  seen: Array<{ api: number; version: number }>;
}

/** coordinatorErrors: error codes FindCoordinator answers with, one per call, then 0. */
async function fakeBroker(opts: { coordinatorErrors?: number[]; brokers?: number } = {}): Promise<Fake> {
  const seen: Fake['seen'] = [];
  const errors = [...(opts.coordinatorErrors ?? [])];
  const server = createServer((sock: Socket) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const api = frame.readInt16BE(0);
        const version = frame.readInt16BE(2);
        const correlation = frame.readInt32BE(4);
        seen.push({ api, version });
        let body: Buffer;
        if (api === 18) {
          const apis = [[3, 0, 13], [10, 0, 6], [18, 0, 4], [22, 0, 6]];
          body = Buffer.concat([i16(0), i32(apis.length), ...apis.map(([k, lo, hi]) => Buffer.concat([i16(k!), i16(lo!), i16(hi!)]))]);
        } else if (api === 3) {
          const n = opts.brokers ?? 1;
          const brokers = Array.from({ length: n }, () => Buffer.concat([i32(1), str('127.0.0.1'), i32(9092), str(null)]));
          body = Buffer.concat([i32(0), i32(n), ...brokers, str('cluster-x'), i32(1), i32(0)]);
        } else if (api === 10) {
          body = Buffer.concat([i32(0), i16(errors.shift() ?? 0), str(null), i32(1), str('127.0.0.1'), i32(9092)]);
        } else {
          body = Buffer.concat([i32(0), i16(0), Buffer.alloc(8), i16(0)]);
        }
        const payload = Buffer.concat([i32(correlation), body]);
        sock.write(Buffer.concat([i32(payload.length), payload]));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, seen };
}

let fake: Fake | undefined;
afterEach(() => {
  fake?.server.close();
  fake = undefined;
});

describe('probeKafka', () => {
  it('reads versions, brokers and cluster id; asks both coordinators and a producer id', async () => {
    fake = await fakeBroker();
    const info = await probeKafka('127.0.0.1', fake.port, { producerIds: true });
    expect(info.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: 9092 }]);
    expect(info.clusterId).toBe('cluster-x');
    expect(info.apiVersions.get(3)).toEqual({ min: 0, max: 13 });
    // Metadata capped at v7 and InitProducerId at v1 (the last non-flexible versions), FindCoordinator at v2
    expect(fake.seen).toEqual([
      { api: 18, version: 0 },
      { api: 3, version: 7 },
      { api: 10, version: 2 },
      { api: 10, version: 2 },
      { api: 22, version: 1 },
    ]);
  });

  it('is not healthy while a coordinator loads', async () => {
    fake = await fakeBroker({ coordinatorErrors: [14] });
    await expect(probeKafka('127.0.0.1', fake.port)).rejects.toThrow(/group coordinator not ready \(error code 14\)/);
  });

  it('is not healthy before a broker registers', async () => {
    fake = await fakeBroker({ brokers: 0 });
    await expect(probeKafka('127.0.0.1', fake.port)).rejects.toThrow(/no broker registered/);
  });

  it('says so when something that is not Kafka holds the port', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const address = silent.address();
    try {
      const port = typeof address === 'object' && address ? address.port : 0;
      await expect(probeKafka('127.0.0.1', port, { timeoutMs: 300 })).rejects.toThrow(/no answer to a Kafka ApiVersions v0 request/);
    } finally {
      silent.close();
    }
  });
});
