import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export type Route = (req: IncomingMessage, url: URL) => Promise<{ status: number; body: unknown }>;

export interface HealthServerOptions {
  port: number;
  registry: Registry;
  /** Why the worker is not ready (empty when it is): answered at once, from the health monitor's last probe. */
  readiness: () => string[];
  routes?: Record<string, Route>;
}

/** /metrics, /healthz (alive), /readyz (joined, broker and stores answer; 503 with reasons) and any extra JSON routes of the worker. */
export async function startHealthServer(opts: HealthServerOptions): Promise<Server> {
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handle = async () => {
      if (url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': opts.registry.contentType });
        res.end(await opts.registry.metrics());
      } else if (url.pathname === '/healthz') {
        json(res, 200, { status: 'ok' });
      } else if (url.pathname === '/readyz') {
        const reasons = opts.readiness();
        json(res, reasons.length === 0 ? 200 : 503, reasons.length === 0 ? { status: 'ready' } : { status: 'not ready', reasons });
      } else if (opts.routes?.[url.pathname]) {
        const { status, body } = await opts.routes[url.pathname]!(req, url);
        json(res, status, body);
      } else {
        json(res, 404, { error: `no route ${url.pathname}` });
      }
    };
    handle().catch((err: Error) => json(res, 500, { error: err.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${opts.port} is in use: set METRICS_PORT to a free port`) : err),
    );
    server.listen(opts.port, '0.0.0.0', resolve);
  });
  return server;
}
