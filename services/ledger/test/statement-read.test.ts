/** The statement's trip over HTTP (statement-read.ts): plain JSON both ways, exact at any size, and what a reader may compare. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildStatement, statementCsv, statementJsonText, statementText } from '../src/statement.ts';
import { ledgerLocation, parseStatementQuery, statementFromDocument, statementQuery, statementWire } from '../src/statement-read.ts';
import type { StoredLine } from '../src/ledger.ts';

function line(date: string, line_type: string, channel: string | null, quantity: string, cents: bigint, status: 'final' | 'provisional' = 'final'): StoredLine {
  return { accrual_id: `k:${date}:${line_type}:${channel ?? '-'}`, contract_id: 'k', provider_id: 'p', date, line_type, channel, quantity, amount_cents: cents, currency: 'EUR', status, basis: '{}', version: '1' };
}

const ledger = [
  line('2026-02-01', 'contact_fee', 'PHONE', '3.0000', 1260n),
  line('2026-02-01', 'contact_fee', 'CHAT', '0.0000', 0n),
  line('2026-02-01', 'minute_fee', 'PHONE', '42.3000', 2327n),
  line('2026-02-01', 'gainshare_repeat', null, '-0.3400', -88n),
  line('2026-02-02', 'upsell_commission', null, '180143985094819820.1234', 9223372036854775807n, 'provisional'),
  line('2026-02-02', 'customer_fee', null, '0.0000', 0n, 'provisional'),
];

const printed = (s: ReturnType<typeof buildStatement>) => ({ table: statementText(s), csv: statementCsv(s), json: statementJsonText(s) });
const overTheWire = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('statementWire and statementFromDocument', () => {
  it('carry a statement through JSON.stringify and JSON.parse without losing a digit, zero lines counted', () => {
    for (const includeZeroLines of [false, true]) {
      const s = buildStatement('k', '2026-02', ledger, { includeZeroLines });
      const back = statementFromDocument(overTheWire(statementWire(s)));
      expect(back).toEqual(s);
      expect(printed(back)).toEqual(printed(s));
    }
    expect(buildStatement('k', '2026-02', ledger).zero_lines_omitted).toBe(2);
  });

  it('print numbers a double holds as numbers, the others as their digits', () => {
    const wire = statementWire(buildStatement('k', '2026-02', ledger)) as { lines: Array<{ quantity: unknown; amount_cents: unknown }> };
    expect(wire.lines.map((l) => [l.quantity, l.amount_cents])).toEqual([
      [3, 1260],
      [42.3, 2327],
      [-0.34, -88],
      ['180143985094819820.1234', '9223372036854775807'],
    ]);
  });

  it('read the exact document as well (numbers parsed from statementJsonText where they fit)', () => {
    const small = buildStatement('k', '2026-02', ledger.slice(0, 4));
    expect(statementFromDocument(JSON.parse(statementJsonText(small)))).toEqual(small);
  });

  it('refuse a document that is not a statement, naming the field', () => {
    const doc = overTheWire(statementWire(buildStatement('k', '2026-02', ledger))) as { lines: Array<Record<string, unknown>> };
    doc.lines[0]!.amount_cents = 12.5;
    expect(() => statementFromDocument(doc)).toThrow('statement document: lines[0].amount_cents is not an integer (12.5)');
    expect(() => statementFromDocument({ error: 'no route /statement' })).toThrow('statement document: lines is not a list');
    expect(() => statementFromDocument(null)).toThrow('not an object');
  });
});

describe('the request and the ledger it reads', () => {
  it('statementQuery and parseStatementQuery agree', () => {
    const q = new URL(statementQuery('c-1 &x', '2026-10', true), 'http://w').searchParams;
    expect(parseStatementQuery(q)).toEqual({ contractId: 'c-1 &x', month: '2026-10', allLines: true });
    expect(parseStatementQuery(new URLSearchParams('contract=c&month=2026-13'))).toEqual({ error: 'month: expected a month YYYY-MM (got "2026-13")' });
  });

  it('ledgerLocation: chdb directories absolute, servers without credentials', () => {
    expect(ledgerLocation('chdb://.cxg/clickhouse')).toBe(`chdb://${resolve('.cxg/clickhouse')}`);
    expect(ledgerLocation('chdb:///tmp/a/../b')).toBe('chdb:///tmp/b');
    expect(ledgerLocation('http://finance:s3cret@ch.internal:8123/ledger')).toBe('http://ch.internal:8123/ledger');
  });
});
