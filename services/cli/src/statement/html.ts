/**
 * `cxg statement --format html`: one self-contained printable page (no script, no network, no
 * external asset): header, the lines table, the totals table, and a bar chart of the daily
 * amounts drawn here as inline SVG. Pure: Statement → string; the command does the I/O.
 */
import { scaleBand, scaleLinear } from 'd3-scale';
import { line as d3line } from 'd3-shape';
import { formatCents, type Statement } from '@cxg/ledger';
import { qualityGateResult } from './xlsx.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and double- or single-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Sum of the shown lines' amounts per date, in date order (exact cents). */
export function dailyAmounts(s: Statement): { date: string; cents: bigint }[] {
  const by = new Map<string, bigint>();
  for (const l of s.lines) by.set(l.date, (by.get(l.date) ?? 0n) + l.amount_cents);
  return [...by].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([date, cents]) => ({ date, cents }));
}

const W = 760;
const H = 260;
const M = { top: 16, right: 16, bottom: 40, left: 72 };

/**
 * Bars of the daily amounts (one `rect.mark` per date, its exact amount in `data-cents` and its
 * tooltip) and the month-to-date running sum as a line. Positions are doubles: fine for a picture;
 * every figure a reader copies comes from the tables.
 */
export function dailyChartSvg(s: Statement): string {
  const days = dailyAmounts(s);
  const cur = s.currency ?? '';
  if (days.length === 0) return '<p class="empty">No lines: no chart.</p>';
  let run = 0n;
  const cumulative = days.map((d) => (run += d.cents));
  const values = [...days.map((d) => Number(d.cents) / 100), ...cumulative.map((c) => Number(c) / 100), 0];
  const x = scaleBand<string>()
    .domain(days.map((d) => d.date))
    .range([M.left, W - M.right])
    .padding(0.2);
  const y = scaleLinear()
    .domain([Math.min(...values), Math.max(...values)])
    .nice()
    .range([H - M.bottom, M.top]);
  const y0 = y(0);
  const bars = days.map((d) => {
    // A day with a non-zero amount keeps at least 1px, so it never vanishes next to a big day.
    const v0 = y(Number(d.cents) / 100);
    const v = d.cents === 0n || Math.abs(v0 - y0) >= 1 ? v0 : d.cents > 0n ? y0 - 1 : y0 + 1;
    const title = `${d.date}: ${formatCents(d.cents)} ${cur}`.trim();
    return `<rect class="mark${d.cents < 0n ? ' neg' : ''}" data-date="${escapeHtml(d.date)}" data-cents="${d.cents}" x="${x(d.date)!.toFixed(2)}" y="${Math.min(v, y0).toFixed(2)}" width="${x.bandwidth().toFixed(2)}" height="${Math.abs(v - y0).toFixed(2)}"><title>${escapeHtml(title)}</title></rect>`;
  });
  const path = d3line<bigint>()
    .x((_, i) => x(days[i]!.date)! + x.bandwidth() / 2)
    .y((c) => y(Number(c) / 100))(cumulative);
  const yTicks = y.ticks(5).map((t) => `<g class="tick"><line x1="${M.left}" x2="${W - M.right}" y1="${y(t).toFixed(2)}" y2="${y(t).toFixed(2)}"/><text x="${M.left - 6}" y="${y(t).toFixed(2)}" dy="0.32em" text-anchor="end">${escapeHtml(t.toLocaleString('en-US'))}</text></g>`);
  // At most ~16 date labels, so a 31-day month stays legible.
  const every = Math.max(1, Math.ceil(days.length / 16));
  const xLabels = days
    .filter((_, i) => i % every === 0)
    .map((d) => `<text x="${(x(d.date)! + x.bandwidth() / 2).toFixed(2)}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeHtml(d.date.slice(5))}</text>`);
  return [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`Daily amounts ${cur}`.trim())}">`,
    `<g class="grid">${yTicks.join('')}</g>`,
    `<line class="zero" x1="${M.left}" x2="${W - M.right}" y1="${y0.toFixed(2)}" y2="${y0.toFixed(2)}"/>`,
    `<g class="bars">${bars.join('')}</g>`,
    path ? `<path class="cumulative" d="${path}"/>` : '',
    `<g class="xaxis">${xLabels.join('')}</g>`,
    `<text class="axis-title" x="${M.left}" y="${H - 6}">day of ${escapeHtml(s.month)}; bars: amount per day, line: month to date${cur ? ` (${escapeHtml(cur)})` : ''}</text>`,
    '</svg>',
  ].join('\n');
}

const td = (v: string, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(v)}</td>`;
const th = (v: string, cls = '') => `<th${cls ? ` class="${cls}"` : ''}>${escapeHtml(v)}</th>`;

const CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1a1a1a; }
body { margin: 24px auto; max-width: 820px; padding: 0 16px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 24px 0 8px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 0; font-size: 13px; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: left; }
th { border-bottom: 1.5px solid #444; }
.num { text-align: right; }
tr.total td { font-weight: 700; border-top: 1.5px solid #444; }
.provisional { color: #a15c00; }
.note { font-size: 12px; color: #555; }
svg.chart { width: 100%; height: auto; }
svg.chart text { font-size: 11px; fill: #444; }
svg.chart .grid line { stroke: #e6e6e6; }
svg.chart .zero { stroke: #444; }
svg.chart rect.mark { fill: #3b6ea5; } svg.chart rect.mark.neg { fill: #c0504d; }
svg.chart .cumulative { fill: none; stroke: #e0a030; stroke-width: 2; }
@page { size: A4; margin: 14mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; }
  :root { color: #000; }
  table { font-size: 10.5px; }
  thead { display: table-header-group; }
  tr, svg.chart { break-inside: avoid; }
  h2 { break-after: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

/** The statement as one self-contained HTML page. */
export function statementHtml(s: Statement): string {
  const cur = s.currency ?? '';
  const amountHead = `amount ${cur}`.trim();
  const state = s.lines.length === 0 && s.totals.length === 0 ? 'no lines' : s.final ? 'final' : `provisional (${formatCents(s.provisional_cents)}${cur ? ` ${cur}` : ''} not final yet)`;
  const title = `Statement ${s.contract_id}, ${s.month}`;
  const lineRows = s.lines.map(
    (l) => `<tr>${td(l.date)}${td(l.line_type)}${td(l.channel ?? '')}${td(l.quantity, 'num')}${td(formatCents(l.amount_cents), 'num')}${td(l.status, l.status === 'final' ? '' : 'provisional')}</tr>`,
  );
  const totalRows = s.totals.map(
    (t) => `<tr>${td(t.line_type)}${td(t.channel ?? '')}${td(String(t.lines), 'num')}${td(t.quantity, 'num')}${td(formatCents(t.amount_cents), 'num')}${td(t.final ? 'final' : 'provisional', t.final ? '' : 'provisional')}</tr>`,
  );
  totalRows.push(
    `<tr class="total">${td('total')}${td('')}${td(String(s.totals.reduce((n, t) => n + t.lines, 0)), 'num')}${td('')}${td(formatCents(s.total_cents), 'num')}${td(s.final ? 'final' : 'provisional')}</tr>`,
  );
  const adjustmentTable = (heading: string, cls: string, list: Statement['adjustments']) =>
    list.length === 0
      ? ''
      : [
          `<h2>${escapeHtml(heading)}</h2>`,
          `<table class="${cls}">`,
          `<thead><tr>${th('booked')}${th('to date')}${th('line type')}${th('channel')}${th('quantity', 'num')}${th(amountHead, 'num')}${th('cause')}${th('status')}</tr></thead>`,
          '<tbody>',
          ...list.map(
            (a) =>
              `<tr>${td(a.booked_on)}${td(a.service_date)}${td(a.line_type)}${td(a.channel ?? '')}${td(a.quantity_delta, 'num')}${td(formatCents(a.amount_delta_cents), 'num')}${td(a.cause)}${td(a.status, a.status === 'final' ? '' : 'provisional')}</tr>`,
          ),
          '</tbody></table>',
        ].join('\n');
  const adjusted = s.adjustments.length > 0 || s.later_adjustments.length > 0;
  const adjustmentsHtml = [
    adjustmentTable(`Adjustments booked in ${s.month}`, 'adjustments', s.adjustments),
    adjustmentTable(`Adjustments to ${s.month} booked later`, 'later-adjustments', s.later_adjustments),
    adjusted
      ? [
          '<table class="both-ways"><tbody>',
          `<tr>${td(`${s.month} as service month (lines and every adjustment to them) ${cur}`.trim())}${td(formatCents(s.service_month_cents), 'num')}</tr>`,
          `<tr>${td(`${s.month} as booking month (lines and the adjustments booked in it) ${cur}`.trim())}${td(formatCents(s.booking_month_cents), 'num')}</tr>`,
          '</tbody></table>',
        ].join('\n')
      : '',
  ].join('\n');
  const gate = qualityGateResult(s);
  const gateHtml = gate
    ? [
        '<h2>Quality gate</h2>',
        '<table class="gate"><tbody>',
        `<tr>${td('gate line present')}${td('yes', 'num')}</tr>`,
        `<tr>${td(`gate line amount ${cur}`.trim())}${td(formatCents(gate.amount_cents), 'num')}</tr>`,
        `<tr>${td(`gainshare after cap ${cur}`.trim())}${td(formatCents(gate.gainshare_after_cap_cents), 'num')}</tr>`,
        `<tr>${td(`gainshare after gate ${cur}`.trim())}${td(formatCents(gate.gainshare_net_cents), 'num')}</tr>`,
        `<tr>${td('result')}${td(gate.result, 'num')}</tr>`,
        '</tbody></table>',
      ].join('\n')
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<dl class="meta">
<dt>contract</dt><dd id="contract">${escapeHtml(s.contract_id)}</dd>
<dt>provider</dt><dd id="provider">${escapeHtml(s.provider_id ?? '')}</dd>
<dt>month</dt><dd id="month">${escapeHtml(s.month)}</dd>
<dt>currency</dt><dd id="currency">${escapeHtml(cur)}</dd>
<dt>status</dt><dd id="status">${escapeHtml(state)}; month ${s.closed ? 'closed' : 'not closed'}</dd>
</dl>
</header>
<h2>Daily amounts</h2>
${dailyChartSvg(s)}
<h2>Lines</h2>
<table class="lines">
<thead><tr>${th('date')}${th('line type')}${th('channel')}${th('quantity', 'num')}${th(amountHead, 'num')}${th('status')}</tr></thead>
<tbody>
${lineRows.join('\n')}
</tbody>
</table>
${s.zero_lines_omitted > 0 ? `<p class="note">${s.zero_lines_omitted} lines with quantity and amount 0 not shown (they count in the totals).</p>` : ''}
<h2>Totals</h2>
<table class="totals">
<thead><tr>${th('line type')}${th('channel')}${th('lines', 'num')}${th('quantity', 'num')}${th(amountHead, 'num')}${th('status')}</tr></thead>
<tbody>
${totalRows.join('\n')}
</tbody>
</table>
${adjustmentsHtml}
${gateHtml}
<p class="note">Amounts in ${escapeHtml(cur || 'currency units')} with 2 decimals, each line rounded once, half away from zero; the total is the exact sum of the lines.</p>
</body>
</html>
`;
}
