/**
 * The status page's HTTP server (node:http; three read-only routes, no framework needed):
 *   GET /            the page, first snapshot rendered in
 *   GET /app.js      the page's poller (a file, so the CSP can forbid inline scripts)
 *   GET /api/status  the snapshot as JSON (statusJson) plus `html`, the rendered <main>
 * Anything but GET/HEAD is 405. A failing snapshot (a bug, not a source down: sources report
 * themselves) is a 500 for that request; the server keeps serving.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLIENT_JS, statusMainHtml, statusPageHtml } from './page.ts';
import { StatusCache, statusJson, type Status } from './status.ts';

// Markup comes only from the server, escaped; the CSP is the second line: no inline or foreign script.
const CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface StatusServerOptions {
  host: string;
  port: number;
  refreshMs: number;
  read: () => Promise<Status>;
  onError?: (err: Error) => void;
}

export interface StatusServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' });
  res.end(head ? undefined : body);
}

export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  // Snapshots live half a refresh: polls of many tabs share one read of the sources.
  const cache = new StatusCache(opts.read, Math.max(500, Math.floor(opts.refreshMs / 2)));
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return send(res, 405, 'application/json', JSON.stringify({ error: `${req.method ?? ''}: the status page is read-only (GET)` }), false);
    if (url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', statusPageHtml(await cache.get(), opts.refreshMs), head);
    if (url.pathname === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', CLIENT_JS, head);
    if (url.pathname === '/api/status') {
      const s = await cache.get();
      return send(res, 200, 'application/json', JSON.stringify({ ...(statusJson(s) as object), html: statusMainHtml(s) }), head);
    }
    return send(res, 404, 'application/json', JSON.stringify({ error: `no route ${url.pathname}` }), head);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      opts.onError?.(err);
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: err.message }), false);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new Error(`${opts.host}:${opts.port} is in use: pass --port with a free port`) : err));
    server.listen(opts.port, opts.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
