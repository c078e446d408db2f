// ClickHouse: nothing to start by default. CLICKHOUSE_URL=chdb://<dir> (the default, under .cxg) runs it
// embedded in each process through the chdb package; an http(s) URL names a server, checked with /ping.
import type { ServiceStatus, StackContext } from './types.ts';

/** The URL without user:password, for printing. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

export async function clickhouseStatus(ctx: StackContext): Promise<ServiceStatus> {
  const url = ctx.env.CLICKHOUSE_URL;
  const base: ServiceStatus = { service: 'clickhouse', url: redact(url), state: 'down', startedByUs: false, managed: false };
  if (url.startsWith('chdb:')) return { ...base, state: 'embedded', detail: 'chdb in-process; no server to run' };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ...base, state: 'unhealthy', detail: 'CLICKHOUSE_URL is not a URL' };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ...base, state: 'unhealthy', detail: `unsupported scheme ${u.protocol}` };
  try {
    const res = await fetch(`${u.protocol}//${u.host}/ping`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.text()).trim();
    return res.status === 200 ? { ...base, state: 'healthy', detail: `/ping: ${body}` } : { ...base, state: 'unhealthy', detail: `/ping answered ${res.status}` };
  } catch (e) {
    return { ...base, detail: (e as Error).message };
  }
}
