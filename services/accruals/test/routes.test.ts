/**
 * The worker's statement route on a real embedded ClickHouse (docs/accruals.md, "Reading statements
 * from a running embedded pipeline"): GET /statement answers the statement the ledger's own code
 * builds, and what `cxg statement` rebuilds from the answer prints exactly as from the ledger, big
 * numbers included. The health server prints a route's body with JSON.stringify; so does this test.
 */
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@cxg/engine';
import type { Route } from '@cxg/platform';
import { insertFacts, ledgerLocation, rateRange, readStatement, statementCsv, statementFromDocument, statementJsonText, statementText, type Statement } from '@cxg/ledger';
import { BIG_NUMBERS, tempLedger } from '@cxg/ledger/testing';
import { ledgerRoutes } from '../src/routes.ts';

const { cfg, dayA, dayB, dayC, fine, WATERMARK } = BIG_NUMBERS;

let ledger: Awaited<ReturnType<typeof tempLedger>>;
let routes: Record<string, Route>;

beforeAll(async () => {
  ledger = await tempLedger('routes');
  const events = [...dayA, ...dayB, ...dayC, ...fine];
  await insertFacts(ledger.client, events.map((event, i) => ({ topic: TOPICS.contacts, event, source: `t/0/${i}` })), 1n);
  // From May 1st, before the first fact, so the month has days with nothing but zero lines.
  const fromMay = (c: (typeof cfg.contracts)[number]) => ({ ...c, ledger_start: '2026-05-01' });
  await rateRange(ledger.client, cfg, [fromMay(cfg.contracts[0]!), fromMay(cfg.contracts[2]!)], '2026-05-01', '2026-05-31', WATERMARK);
  routes = ledgerRoutes({ client: ledger.client, clickhouseUrl: ledger.url, watermarkMs: () => WATERMARK });
}, 60_000);
afterAll(async () => ledger?.close());

/** The route's answer as it travels: status, and the body printed and parsed again. */
async function get(path: string, method = 'GET'): Promise<{ status: number; text: string; body: Record<string, unknown> }> {
  const url = new URL(path, 'http://localhost');
  const { status, body } = await routes[url.pathname]!({ method } as IncomingMessage, url);
  const text = JSON.stringify(body);
  return { status, text, body: JSON.parse(text) as Record<string, unknown> };
}

async function direct(contract: string, includeZeroLines = false): Promise<Statement> {
  const read = await readStatement(ledger.client, contract, '2026-05', { includeZeroLines });
  if (read.statement === null) throw new Error(`no statement of ${contract}`);
  return read.statement;
}

const printed = (s: Statement) => ({ table: statementText(s), csv: statementCsv(s), json: statementJsonText(s) });

describe('GET /statement', () => {
  it('answers the document cxg statement --format json prints, when every number fits a double', async () => {
    const s = await direct('k-fine');
    expect(s.lines.length).toBeGreaterThan(0);
    const res = await get('/statement?contract=k-fine&month=2026-05');
    expect(res.status).toBe(200);
    expect(res.text).toBe(statementJsonText(s));
    expect(printed(statementFromDocument(res.body))).toEqual(printed(s));
  });

  it('keeps every digit of amounts beyond 2^53 (as digit strings), so the CLI prints what the ledger holds', async () => {
    const s = await direct('k-big');
    const exact = statementJsonText(s);
    const res = await get('/statement?contract=k-big&month=2026-05');
    expect(res.status).toBe(200);
    // beyond a double: the text differs from the exact document where a number became a string …
    expect(res.text).not.toBe(exact);
    expect(s.total_cents > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(res.body.total_cents).toBe(s.total_cents.toString());
    // … and the Statement rebuilt from it prints exactly as the one read from the ledger
    expect(printed(statementFromDocument(res.body))).toEqual(printed(s));
  });

  it('all_lines=1 lists the zero lines, and the rebuilt statement counts the ones left out', async () => {
    for (const [query, include] of [['', false], ['&all_lines=1', true]] as const) {
      const s = await direct('k-fine', include);
      const res = await get(`/statement?contract=k-fine&month=2026-05${query}`);
      const rebuilt = statementFromDocument(res.body);
      expect(rebuilt.zero_lines_omitted).toBe(s.zero_lines_omitted);
      expect(printed(rebuilt)).toEqual(printed(s));
    }
    expect((await direct('k-fine')).zero_lines_omitted).toBeGreaterThan(0);
  });

  it('is 404 with the contracts that have lines for a month without lines, 400 for bad arguments, 405 for a POST', async () => {
    const none = await get('/statement?contract=k-nope&month=2026-05');
    expect(none.status).toBe(404);
    expect(none.body.contracts_with_lines).toEqual(['k-big', 'k-fine']);
    expect(none.body.error).toBe(`no ledger lines for k-nope in 2026-05 in ${ledgerLocation(ledger.url)} (contracts with lines: k-big, k-fine)`);
    expect((await get('/statement?contract=k-fine&month=2026-5')).status).toBe(400);
    expect((await get('/statement?month=2026-05')).body.error).toMatch(/^contract: /);
    expect((await get('/statement?contract=k-fine&month=2026-05&all_lines=yes')).status).toBe(400);
    expect((await get('/statement?contract=k-fine&month=2026-05', 'POST')).status).toBe(405);
  });
});

describe('GET /ledger', () => {
  it('names the directory the worker writes, as an absolute chdb URL, and its watermark', async () => {
    const res = await get('/ledger');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ clickhouse: ledger.url, watermark_ms: WATERMARK });
  });
});
