/**
 * `cxg statement --format xlsx|html`: the workbook read back with exceljs and the page opened in
 * headless Chromium, every figure compared with the statement's JSON document.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStatement, formatCents, statementJson } from '@cxg/ledger';
import { ADJUSTMENTS_HEADER, HEADER_ROWS, LINES_HEADER, MONEY_FORMAT, TOTALS_HEADER, statementXlsx } from '../src/statement/xlsx.ts';
import { escapeHtml, statementHtml } from '../src/statement/html.ts';
import { storedAdjustment, storedLine as line } from '@cxg/ledger/testing';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');

// A closed 3-day month (validity ends 2026-02-03) with a failed quality gate: G = 157 + 40 = 197,
// no cap, so the gate forfeits 197.
const ledger = [
  line('2026-02-01', 'contact_fee', 'PHONE', '3.0000', 1260),
  line('2026-02-01', 'contact_fee', 'CHAT', '0.0000', 0), // zero: left out of the lines, counted in the totals
  line('2026-02-01', 'minute_fee', 'PHONE', '7.5000', 450),
  line('2026-02-01', 'gainshare_repeat', null, '-0.3400', -88),
  line('2026-02-02', 'contact_fee', 'PHONE', '1.0000', 420),
  line('2026-02-02', 'contact_fee', 'CHAT', '2.0000', 600),
  line('2026-02-02', 'gainshare_repeat', null, '0.9800', 245),
  line('2026-02-03', 'contact_fee', 'PHONE', '12.0000', 5040),
  line('2026-02-03', 'gainshare_switch', null, '1.0000', 40),
  line('2026-02-03', 'gainshare_quality_gate', null, '0.0000', -197),
  line('2026-02-03', 'customer_floor_malus', null, '0.0000', -1234),
  line('2026-03-01', 'contact_fee', 'PHONE', '9.0000', 9999), // another month
];
const s = buildStatement('k', '2026-02', ledger);

const doc = statementJson(s);

type Cell = ExcelJS.CellValue;
const rowValues = (ws: ExcelJS.Worksheet, n: number): Cell[] => (ws.getRow(n).values as Cell[]).slice(1);
const dayOf = (v: Cell): string => {
  expect(v).toBeInstanceOf(Date);
  return (v as Date).toISOString().slice(0, 10);
};
/** What a money cell must hold for `cents`: currency units as a number (exact cents below 2^53). */
const money = (cents: bigint) => Number(cents) / 100;

async function readXlsx(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  return wb;
}

function expectHeaderBlock(ws: ExcelJS.Worksheet, st: ReturnType<typeof buildStatement>): void {
  expect([1, 2, 3, 4, 5, 6].map((n) => rowValues(ws, n))).toEqual([
    ['contract', st.contract_id],
    ['provider', st.provider_id ?? ''],
    ['month', st.month],
    ['currency', st.currency ?? ''],
    ['final', st.final ? 'final' : 'provisional'],
    ['closed', st.closed ? 'closed' : 'not closed'],
  ]);
}

describe('statement xlsx', () => {
  it('has the sheets Lines, Adjustments and Totals under the statement header', async () => {
    const wb = await readXlsx(await statementXlsx(s));
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Lines', 'Adjustments', 'Totals']);
    for (const ws of wb.worksheets) expectHeaderBlock(ws, s);
    expect(rowValues(wb.getWorksheet('Lines')!, HEADER_ROWS + 1)).toEqual(LINES_HEADER.map((h) => (h === 'amount' ? 'amount EUR' : h)));
    const adj = wb.getWorksheet('Adjustments')!;
    expect(rowValues(adj, HEADER_ROWS + 1)).toEqual(ADJUSTMENTS_HEADER.map((h) => (h === 'amount_delta' ? 'amount_delta EUR' : h)));
    expect(adj.actualRowCount).toBe(HEADER_ROWS - 1 + 1); // 6 header-block rows (the blank one is not counted) + the table header
    expect(rowValues(wb.getWorksheet('Totals')!, HEADER_ROWS + 1)).toEqual(TOTALS_HEADER.map((h) => (h === 'amount' ? 'amount EUR' : h)));
  });

  it('writes every line: a real date, type, channel, quantity and amount as numbers, status', async () => {
    const ws = (await readXlsx(await statementXlsx(s))).getWorksheet('Lines')!;
    expect(doc.lines).toHaveLength(10);
    doc.lines.forEach((l, i) => {
      const r = ws.getRow(HEADER_ROWS + 2 + i);
      const [date, type, channel, quantity, amount, status] = rowValues(ws, HEADER_ROWS + 2 + i);
      expect(dayOf(date)).toBe(l.date);
      expect(type).toBe(l.line_type);
      expect(channel).toBe(l.channel ?? '');
      expect(typeof quantity).toBe('number');
      expect(quantity).toBe(Number(l.quantity.text));
      expect(typeof amount).toBe('number');
      expect(amount).toBe(money(l.amount_cents));
      expect(Math.round((amount as number) * 100)).toBe(Number(l.amount_cents));
      expect(status).toBe(l.status);
      expect(r.getCell(1).numFmt).toBe('yyyy-mm-dd');
      expect(r.getCell(5).numFmt).toBe(MONEY_FORMAT);
    });
    expect(rowValues(ws, HEADER_ROWS + 2 + doc.lines.length)).toEqual(['(1 lines with quantity and amount 0 not shown)']);
  });

  it('writes every total, the total row and the quality-gate result', async () => {
    const ws = (await readXlsx(await statementXlsx(s))).getWorksheet('Totals')!;
    expect(doc.totals).toHaveLength(7);
    doc.totals.forEach((t, i) => {
      const [type, channel, lines, quantity, amount, final] = rowValues(ws, HEADER_ROWS + 2 + i);
      expect([type, channel, lines, quantity, amount, final]).toEqual([t.line_type, t.channel ?? '', t.lines, Number(t.quantity.text), money(t.amount_cents), t.final ? 'final' : 'provisional']);
      expect(ws.getRow(HEADER_ROWS + 2 + i).getCell(5).numFmt).toBe(MONEY_FORMAT);
    });
    const after = HEADER_ROWS + 2 + doc.totals.length;
    expect(doc.total_cents).toBe(5040n + 1260n + 450n - 88n + 420n + 600n + 245n + 40n - 197n - 1234n);
    expect(rowValues(ws, after)).toEqual(['total', '', 11, '', money(doc.total_cents), 'final']);
    expect(rowValues(ws, after + 1)).toEqual([]);
    expect(rowValues(ws, after + 2)).toEqual(['quality gate']);
    expect(rowValues(ws, after + 3)).toEqual(['gate line present', 'yes']);
    expect(rowValues(ws, after + 4)).toEqual(['gate line amount', '', '', '', -1.97]);
    expect(rowValues(ws, after + 5)).toEqual(['gainshare after cap', '', '', '', 1.97]);
    expect(rowValues(ws, after + 6)).toEqual(['gainshare after gate', '', '', '', 0]);
    expect(rowValues(ws, after + 7)).toEqual(['result', 'failed: positive gainshare after the cap forfeited']);
  });

  it('a provisional month without a gate line: provisional row, no gate block', async () => {
    const open = buildStatement('k', '2026-02', [line('2026-02-01', 'contact_fee', 'PHONE', '1.0000', 420), line('2026-02-02', 'contact_fee', 'PHONE', '2.0000', 840, 'provisional')]);
    const wb = await readXlsx(await statementXlsx(open));
    for (const w of wb.worksheets) expectHeaderBlock(w, open);
    const ws = wb.getWorksheet('Totals')!;
    expect(rowValues(ws, HEADER_ROWS + 3)).toEqual(['total', '', 2, '', 12.6, 'provisional']);
    expect(rowValues(ws, HEADER_ROWS + 4)).toEqual(['not final yet', '', '', '', 8.4, 'provisional']);
    expect(ws.actualRowCount).toBe(6 + 1 + 1 + 1 + 1);
  });

  it('amounts of 10^15 cents and more are exact decimal text, smaller ones numbers that show every cent', async () => {
    const big = 2n ** 62n + 1n;
    const edge = 10n ** 15n - 1n;
    const b = buildStatement('k', '2026-02', [
      line('2026-02-01', 'upsell_commission', null, '123456789012345678.0000', big),
      line('2026-02-02', 'contact_fee', 'PHONE', '1.0000', edge),
      line('2026-02-02', 'contact_fee', 'CHAT', '1.0000', -(10n ** 15n)),
      line('2026-02-03', 'contact_fee', 'PHONE', '1.0000', 2n ** 53n - 1n),
    ]);
    const wb = await readXlsx(await statementXlsx(b));
    const lines = wb.getWorksheet('Lines')!;
    const row = (n: number) => rowValues(lines, HEADER_ROWS + 2 + n).slice(3, 5);
    expect(row(0)).toEqual(['123456789012345678.0000', '46116860184273879.05']);
    expect(row(1)).toEqual([1, 9999999999999.99]);
    expect((row(1)[1] as number).toFixed(2)).toBe(formatCents(edge));
    expect(row(2)).toEqual([1, '-10000000000000.00']);
    expect(row(3)).toEqual([1, '90071992547409.91']);
    const totals = wb.getWorksheet('Totals')!;
    expect(rowValues(totals, HEADER_ROWS + 5)).toEqual(['total', '', 4, '', formatCents(b.total_cents), 'final']);
  });

  it('fills the Adjustments sheet and the totals both ways from the adjustments', async () => {
    const adjusted = buildStatement('k', '2026-02', ledger, {
      adjustments: [
        storedAdjustment('k:2026-01-30:contact_fee:PHONE', '2026-02-04', '1.0000', 420n),
        storedAdjustment('k:2026-02-02:contact_fee:CHAT', '2026-03-04', '-1.0000', -300n),
      ],
      watermarkMs: Date.parse('2026-02-10T00:00:00Z'),
    });
    const wb = await readXlsx(await statementXlsx(adjusted));
    const ws = wb.getWorksheet('Adjustments')!;
    const shown = [HEADER_ROWS + 2, HEADER_ROWS + 3].map((n) => {
      const [kind, booked, service, ...rest] = rowValues(ws, n);
      return [kind, dayOf(booked), dayOf(service), ...rest];
    });
    expect(shown).toEqual([
      ['adjustment', '2026-02-04', '2026-01-30', 'contact_fee', 'PHONE', 1, 4.2, 'late_event', 'final', 'k:2026-01-30:contact_fee:PHONE', '{"records":["contact:e1"]}'],
      ['later_adjustment', '2026-03-04', '2026-02-02', 'contact_fee', 'CHAT', -1, -3, 'late_event', 'provisional', 'k:2026-02-02:contact_fee:CHAT', '{"records":["contact:e1"]}'],
    ]);
    const totals = wb.getWorksheet('Totals')!;
    const values = totals.getSheetValues().filter((r) => Array.isArray(r)).map((r) => r.slice(1));
    expect(values.find((r) => r[0] === 'as service month')?.[4]).toBe(money(adjusted.total_cents - 300n));
    expect(values.find((r) => r[0] === 'as booking month')?.[4]).toBe(money(adjusted.total_cents + 420n));
    // the page carries the same rows and totals
    const html = statementHtml(adjusted);
    expect(html.match(/<table class="adjustments">[\s\S]*?<\/table>/)![0].match(/<tr>/g)).toHaveLength(1 + 1);
    expect(html.match(/<table class="later-adjustments">[\s\S]*?<\/table>/)![0]).toContain('-3.00');
    expect(html).toContain(formatCents(adjusted.service_month_cents));
  });
});

describe('statement html', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('escapes text', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('shows every figure in real Chromium, one chart mark per date, without any request; saves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.setContent(statementHtml(s), { waitUntil: 'load' });
    expect(requests).toEqual([]);

    const cells = (sel: string) => page.$$eval(sel, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((c) => (c.textContent ?? '').trim())));
    expect(await cells('table.lines tbody tr')).toEqual(doc.lines.map((l, i) => [l.date, l.line_type, l.channel ?? '', s.lines[i]!.quantity, formatCents(l.amount_cents), l.status]));
    expect(await cells('table.totals tbody tr')).toEqual([
      ...doc.totals.map((t, i) => [t.line_type, t.channel ?? '', String(t.lines), s.totals[i]!.quantity, formatCents(t.amount_cents), t.final ? 'final' : 'provisional']),
      ['total', '', '11', '', formatCents(doc.total_cents), 'final'],
    ]);
    expect(await cells('table.gate tr')).toEqual([
      ['gate line present', 'yes'],
      ['gate line amount EUR', '-1.97'],
      ['gainshare after cap EUR', '1.97'],
      ['gainshare after gate EUR', '0.00'],
      ['result', 'failed: positive gainshare after the cap forfeited'],
    ]);
    expect(await page.textContent('#status')).toBe('final; month closed');
    expect(await page.textContent('#contract')).toBe('k');

    // One bar per date, carrying that date's exact sum.
    const dates = [...new Set(doc.lines.map((l) => l.date))];
    const marks = await page.$$eval('svg.chart rect.mark', (rs) => rs.map((r) => [r.getAttribute('data-date'), r.getAttribute('data-cents'), r.getBoundingClientRect().height > 0]));
    expect(marks).toEqual(dates.map((d) => [d, String(doc.lines.filter((l) => l.date === d).reduce((a, l) => a + l.amount_cents, 0n)), true]));

    // Print CSS applies.
    await page.emulateMedia({ media: 'print' });
    expect(await page.$eval('body', (b) => b.ownerDocument.defaultView!.getComputedStyle(b).marginTop)).toBe('0px');
    await page.emulateMedia({ media: 'screen' });

    const dir = join(repoRoot, '.cxg/test-results');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'statement-page.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('renders hostile text as text', async () => {
    const id = `c<b>&"x'</b>`;
    const h = buildStatement(id, '2026-02', [line('2026-02-01', 'contact_fee', 'PHONE', '1.0000', 420, 'final', id)]);
    const page = await browser.newPage();
    await page.setContent(statementHtml(h));
    expect(await page.textContent('#contract')).toBe(id);
    expect(await page.$$('header b')).toHaveLength(0);
    expect(await page.$$eval('svg.chart rect.mark', (rs) => rs.length)).toBe(1);
    await page.close();
  }, 60_000);
});
