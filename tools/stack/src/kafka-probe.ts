// A minimal Kafka wire-protocol probe over plain TCP, so health checks need no client library:
// ApiVersions (is it a Kafka broker, which versions), Metadata (is the broker registered and serving),
// FindCoordinator (are the group / transaction coordinators loaded; the first call also makes the broker
// create __consumer_offsets / __transaction_state, so the first test's group join does not wait for it).
import { Socket, connect } from 'node:net';

const API_METADATA = 3;
const API_FIND_COORDINATOR = 10;
const API_VERSIONS = 18;
const API_INIT_PRODUCER_ID = 22;
const CLIENT_ID = 'cxg-stack-probe';
const API_NAMES: Record<number, string> = { 3: 'Metadata', 10: 'FindCoordinator', 18: 'ApiVersions', 22: 'InitProducerId' };

export interface ApiRange {
  min: number;
  max: number;
}

export interface BrokerInfo {
  apiVersions: Map<number, ApiRange>;
  brokers: Array<{ nodeId: number; host: string; port: number }>;
  clusterId: string | null;
  controllerId: number;
}

class Reader {
  private o = 0;
  constructor(private readonly b: Buffer) {}
  int8(): number {
    return this.b.readInt8(this.o++);
  }
  int16(): number {
    const v = this.b.readInt16BE(this.o);
    this.o += 2;
    return v;
  }
  int32(): number {
    const v = this.b.readInt32BE(this.o);
    this.o += 4;
    return v;
  }
  string(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const v = this.b.toString('utf8', this.o, this.o + n);
    this.o += n;
    return v;
  }
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function int8(v: number): Buffer {
  const b = Buffer.alloc(1);
  b.writeInt8(v);
  return b;
}

function int16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

/** One connection, sequential requests with request header v1 (non-flexible versions only). */
export class KafkaProbe {
  private socket: Socket | undefined;
  private buf = Buffer.alloc(0);
  private pending: { id: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private correlation = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs = 3000,
  ) {}

  async connect(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: this.host, port: this.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${this.host}:${this.port} timed out`));
      }, this.timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      s.on('data', (d) => this.onData(d));
      s.on('close', () => this.pending?.reject(new Error('connection closed by broker')));
      this.socket = s;
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + size) return;
      const frame = this.buf.subarray(4, 4 + size);
      this.buf = this.buf.subarray(4 + size);
      const p = this.pending;
      if (p && frame.readInt32BE(0) === p.id) {
        this.pending = undefined;
        p.resolve(frame.subarray(4));
      }
    }
  }

  request(apiKey: number, version: number, body: Buffer): Promise<Buffer> {
    const s = this.socket;
    if (!s) return Promise.reject(new Error('not connected'));
    const id = ++this.correlation;
    const header = Buffer.concat([Buffer.from([apiKey >> 8, apiKey & 0xff, version >> 8, version & 0xff]), int32(id), str(CLIENT_ID)]);
    const payload = Buffer.concat([header, body]);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new Error(`no answer to a Kafka ${API_NAMES[apiKey] ?? `api ${apiKey}`} v${version} request within ${this.timeoutMs} ms (is it Kafka?)`));
      }, this.timeoutMs);
      this.pending = {
        id,
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      s.write(Buffer.concat([int32(payload.length), payload]));
    });
  }

  /** ApiVersions v0: every broker answers it, whatever it supports. */
  async apiVersions(): Promise<Map<number, ApiRange>> {
    const r = new Reader(await this.request(API_VERSIONS, 0, Buffer.alloc(0)));
    const error = r.int16();
    if (error !== 0) throw new Error(`ApiVersions error code ${error}`);
    const n = r.int32();
    const out = new Map<number, ApiRange>();
    for (let i = 0; i < n; i++) {
      const key = r.int16();
      out.set(key, { min: r.int16(), max: r.int16() });
    }
    return out;
  }

  /** Metadata v4..v7 (same request, same response up to the controller id) with an empty topic list. */
  async metadata(versions: Map<number, ApiRange>): Promise<Pick<BrokerInfo, 'brokers' | 'clusterId' | 'controllerId'>> {
    const v = pick(versions, API_METADATA, 4, 7);
    const body = Buffer.concat([int32(0), int8(0)]); // topics: [] (none), allow_auto_topic_creation: false
    const r = new Reader(await this.request(API_METADATA, v, body));
    r.int32(); // throttle_time_ms
    const n = r.int32();
    const brokers: BrokerInfo['brokers'] = [];
    for (let i = 0; i < n; i++) {
      const nodeId = r.int32();
      const host = r.string() ?? '';
      const port = r.int32();
      r.string(); // rack
      brokers.push({ nodeId, host, port });
    }
    const clusterId = r.string();
    const controllerId = r.int32();
    return { brokers, clusterId, controllerId };
  }

  /** FindCoordinator v1 or v2 (same layout; v0 is gone from Kafka 4). Returns the error code (0 = ready). */
  async findCoordinator(versions: Map<number, ApiRange>, key: string, keyType: 0 | 1): Promise<number> {
    const v = pick(versions, API_FIND_COORDINATOR, 1, 2);
    const r = new Reader(await this.request(API_FIND_COORDINATOR, v, Buffer.concat([str(key), int8(keyType)])));
    r.int32(); // throttle_time_ms
    return r.int16();
  }

  /**
   * InitProducerId v0/v1 (v2 is flexible) without a transactional id, as an idempotent producer sends it. Right after a
   * start the broker answers COORDINATOR_LOAD_IN_PROGRESS until the controller hands it a block of
   * producer ids; asking once here takes that wait (and kafkajs's logged retry) out of the first test.
   */
  async initProducerId(versions: Map<number, ApiRange>): Promise<number> {
    const v = pick(versions, API_INIT_PRODUCER_ID, 0, 1);
    const r = new Reader(await this.request(API_INIT_PRODUCER_ID, v, Buffer.concat([int16(-1), int32(60_000)])));
    r.int32(); // throttle_time_ms
    return r.int16();
  }
}

function pick(versions: Map<number, ApiRange>, api: number, lo: number, hi: number): number {
  const range = versions.get(api);
  if (!range) throw new Error(`broker does not support api ${api}`);
  const v = Math.min(range.max, hi);
  if (v < Math.max(range.min, lo)) throw new Error(`broker supports api ${api} only in versions ${range.min}-${range.max}`);
  return v;
}

/** Kafka error codes a starting broker answers with while its coordinators load. */
export const RETRIABLE_COORDINATOR_ERRORS = new Set([14, 15, 16]); // LOAD_IN_PROGRESS, NOT_AVAILABLE, NOT_COORDINATOR

/**
 * One health round: ApiVersions + Metadata (our broker registered) + both coordinators ready
 * (+ with `producerIds`, a producer id can be handed out).
 * Throws with a reason when the broker is not serving yet.
 */
export async function probeKafka(
  host: string,
  port: number,
  opts: { coordinators?: boolean; producerIds?: boolean; timeoutMs?: number } = {},
): Promise<BrokerInfo> {
  const p = new KafkaProbe(host, port, opts.timeoutMs ?? 3000);
  await p.connect();
  try {
    const apiVersions = await p.apiVersions();
    const meta = await p.metadata(apiVersions);
    if (meta.brokers.length === 0) throw new Error('no broker registered yet');
    if (opts.coordinators ?? true) {
      for (const [key, type, what] of [
        ['cxg-stack-probe', 0, 'group coordinator'],
        ['cxg-stack-probe', 1, 'transaction coordinator'],
      ] as const) {
        const code = await p.findCoordinator(apiVersions, key, type);
        if (code !== 0) throw new Error(`${what} not ready (error code ${code})`);
      }
    }
    if (opts.producerIds) {
      const code = await p.initProducerId(apiVersions);
      if (code !== 0) throw new Error(`producer ids not ready (error code ${code})`);
    }
    return { apiVersions, ...meta };
  } finally {
    p.close();
  }
}
