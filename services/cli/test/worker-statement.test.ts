/**
 * `cxg statement` through an accruals worker (replay/worker-statement.ts), against a stand-in
 * worker on a local port: when falling back from a directory in use it reads only from the worker
 * of that very directory, and every failure is one CliError with the exit code of the README.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStatement, statementJsonText, statementWire, type StoredLine } from '@cxg/ledger';
import { CliError } from '../src/errors.ts';
import { statementFromWorker, workerArg } from '../src/replay/worker-statement.ts';

const line: StoredLine = {
  accrual_id: 'k:2026-10-01:contact_fee:PHONE', contract_id: 'k', provider_id: 'p', date: '2026-10-01', line_type: 'contact_fee', channel: 'PHONE',
  quantity: '2.0000', amount_cents: 840n, currency: 'EUR', status: 'final', basis: '{}', version: '1',
};
const statement = buildStatement('k', '2026-10', [line]);

let server: Server;
let worker = '';
/** What the stand-in answers on /ledger. */
let ledgerAnswer: { status: number; body: unknown } = { status: 200, body: { clickhouse: 'chdb:///data/ledger', watermark_ms: 1 } };

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/ledger') send(ledgerAnswer.status, ledgerAnswer.body);
    else if (url.pathname === '/statement' && url.searchParams.get('contract') === 'k') send(200, statementWire(statement));
    else if (url.pathname === '/statement') send(404, { error: 'no ledger lines', contracts_with_lines: ['k'] });
    else send(404, { error: `no route ${url.pathname}` });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  worker = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const req = { contract: 'k', month: '2026-10', allLines: false };
const failure = async (p: Promise<unknown>) => {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(CliError);
  return { code: (err as CliError).exitCode, message: (err as CliError).message };
};

describe('statementFromWorker', () => {
  it('reads the statement of the worker that owns the directory in use', async () => {
    ledgerAnswer = { status: 200, body: { clickhouse: 'chdb:///data/ledger', watermark_ms: 1 } };
    const s = await statementFromWorker(worker, { ...req, fallbackFrom: { clickhouse: 'chdb:///data/ledger', pid: 42 } });
    expect(statementJsonText(s)).toBe(statementJsonText(statement));
  });

  it('refuses a worker that writes another ledger, naming both', async () => {
    ledgerAnswer = { status: 200, body: { clickhouse: 'chdb:///data/other', watermark_ms: 1 } };
    expect(await failure(statementFromWorker(worker, { ...req, fallbackFrom: { clickhouse: 'chdb:///data/ledger', pid: 42 } }))).toEqual({
      code: 2,
      message: `chdb:///data/ledger is in use by another process (pid 42) and the accruals worker at ${worker} writes chdb:///data/other, not it: stop that process, or pass --worker http://host:port of the accruals worker that owns it`,
    });
  });

  it('refuses a port that serves no statements (another worker, an older accruals worker)', async () => {
    ledgerAnswer = { status: 404, body: { error: 'no route /ledger' } };
    const f = await failure(statementFromWorker(worker, { ...req, fallbackFrom: { clickhouse: 'chdb:///data/ledger', pid: null } }));
    expect(f.code).toBe(2);
    expect(f.message).toBe(`chdb:///data/ledger is in use by another process and ${worker} is no accruals worker serving statements (/ledger: 404 no route /ledger): stop that process, or pass --worker http://host:port of the accruals worker that owns it`);
  });

  it('asked directly (--worker), reads without the ledger check; no lines is exit 1', async () => {
    ledgerAnswer = { status: 500, body: { error: 'not asked' } };
    expect(statementJsonText(await statementFromWorker(worker, req))).toBe(statementJsonText(statement));
    expect(await failure(statementFromWorker(worker, { ...req, contract: 'x' }))).toEqual({
      code: 1,
      message: `no ledger lines for x in 2026-10 in the ledger of the accruals worker at ${worker} (contracts with lines: k)`,
    });
  });

  it('--worker takes host:port or an http(s) URL', () => {
    expect(workerArg('127.0.0.1:9403')).toBe('http://127.0.0.1:9403');
    expect(workerArg('https://w.internal:9403/')).toBe('https://w.internal:9403');
    expect(() => workerArg('http://w:1/?x=1')).toThrow(CliError);
  });
});
