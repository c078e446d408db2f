/**
 * The status page's HTML, rendered here on the server from one Status snapshot: every text goes
 * through the statement page's escapeHtml and the ledger charts are its dailyChartSvg, so there is
 * one escaping rule and one chart. The browser only swaps the rendered <main> it polls from
 * /api/status (CLIENT_JS); it never builds markup from data itself.
 */
import { PROVIDER_KPIS, type KpiReading } from '@cxg/engine';
import { formatCents, type Statement } from '@cxg/ledger';
import { HEAD, kpiText } from '../commands/kpis.ts';
import { dailyChartSvg, escapeHtml } from '../statement/html.ts';
import type { ThresholdStatus } from './kpi-status.ts';
import type { WorkerStatus } from './pipeline-status.ts';
import { sourcesUp, type Status } from './status.ts';

const e = escapeHtml;
const td = (v: string, attrs = '') => `<td${attrs}>${e(v)}</td>`;
const th = (v: string, attrs = '') => `<th${attrs}>${e(v)}</th>`;
const attr = (name: string, v: string | number) => ` ${name}="${e(String(v))}"`;

const WINDOWS = ['1h', '24h', '7d'] as const;

function sourcesHtml(s: Status): string {
  const items = Object.entries(sourcesUp(s)).map(
    ([name, { up, error }]) =>
      `<li class="source ${up ? 'up' : 'down'}"${attr('data-source', name)}${attr('data-up', String(up))}><b>${e(name)}</b> ${up ? 'up' : 'down'}${error === null ? '' : `<span class="why">${e(error)}</span>`}</li>`,
  );
  return `<ul class="sources">${items.join('')}</ul>`;
}

function kpiCell(provider: string, kpi: string, window: string, r: KpiReading | undefined, breached: boolean): string {
  const value = r?.value ?? null;
  const sample = r?.sample ?? 0;
  const attrs = `${attr('class', `kpi${breached ? ' breached' : ''}`)}${attr('data-provider', provider)}${attr('data-kpi', kpi)}${attr('data-window', window)}${attr('data-value', value === null ? '' : String(value))}${attr('data-sample', sample)}`;
  return `<td${attrs}>${e(kpiText(kpi, value))}<small>n=${e(String(sample))}</small></td>`;
}

function boundText(t: ThresholdStatus): string {
  return t.max !== null ? `≤ ${t.max}` : `≥ ${t.min ?? ''}`;
}

function kpisHtml(s: Status): string {
  const k = s.kpis;
  if (!k.up) return `<p class="down">KPIs unavailable: ${e(k.error)}</p>`;
  if (k.kpis.watermark === null) return `<p class="empty">No KPI data under ${e(k.prefix)} yet (is the kpi worker running? cxg run kpi)</p>`;
  const breached = new Set(k.thresholds.filter((t) => t.state === 'BREACHED').map((t) => `${t.provider_id}|${t.kpi}|${t.window}`));
  const out: string[] = [`<p class="meta">Rolling windows ending <span id="kpi-watermark">${e(k.kpis.watermark_iso ?? '')}</span> (event time); value, n = sample.</p>`];
  if (k.kpis.rebuilding_partitions.length > 0) {
    out.push(`<p class="down">Partial: the kpi worker is rebuilding partitions ${e(k.kpis.rebuilding_partitions.join(', '))} after Redis lost their state.</p>`);
  }
  for (const w of WINDOWS) {
    const table = k.kpis.windows[w];
    const providers = Object.entries(table?.providers ?? {});
    const rows = providers.map(([p, readings]) => `<tr>${td(p, ' class="provider"')}${PROVIDER_KPIS.map((kpi) => kpiCell(p, kpi, w, readings[kpi], breached.has(`${p}|${kpi}|${w}`))).join('')}</tr>`);
    const body =
      providers.length === 0
        ? '<p class="empty">No contacts in this window.</p>'
        : `<table class="kpis"${attr('data-window', w)}><thead><tr>${th('provider')}${PROVIDER_KPIS.map((kpi) => th(HEAD[kpi], ' class="num"')).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
    out.push(`<details${w === '24h' ? ' open' : ''}><summary>${e(w)} window</summary>${body}</details>`);
  }
  out.push('<h3>Thresholds and alerts</h3>');
  if (k.thresholds.length === 0) out.push('<p class="empty">No contract valid at the watermark sets kpi_thresholds.</p>');
  else {
    const rows = k.thresholds.map(
      (t) =>
        `<tr${attr('class', `threshold ${t.state === 'BREACHED' ? 'breached' : 'ok'}`)}${attr('data-provider', t.provider_id)}${attr('data-kpi', t.kpi)}${attr('data-window', t.window)}>` +
        `${td(t.provider_id)}${td(t.contract_id)}${td(t.kpi)}${td(t.window)}${td(boundText(t), ' class="num bound"')}${td(kpiText(t.kpi, t.value), ' class="num value"')}` +
        `${td(`${t.sample} / ${t.min_samples}`, ' class="num sample"')}${td(t.state, ' class="state"')}</tr>`,
    );
    out.push(
      `<table class="thresholds"><thead><tr>${th('provider')}${th('contract')}${th('KPI')}${th('window')}${th('bound', ' class="num"')}${th('value', ' class="num"')}${th('n / min', ' class="num"')}${th('alert')}</tr></thead><tbody>${rows.join('')}</tbody></table>`,
    );
  }
  return out.join('\n');
}

function workerRow(w: WorkerStatus): string {
  const state = !w.up ? 'down' : w.ready === true ? 'ready' : w.ready === false ? 'not ready' : 'up';
  const lag = Object.entries(w.lag).map(([t, n]) => `${t} ${n}`).join(', ');
  const dlq = w.dlq.filter((d) => d.count > 0).map((d) => `${d.reason} ${d.count} (${d.topic})`).join(', ');
  const deps = Object.entries(w.dependencies).map(([d, up]) => `${d} ${up ? 'up' : 'down'}`).join(', ');
  const why = !w.up ? (w.error ?? '') : w.ready_reasons.join('; ');
  return (
    `<tr${attr('class', `worker ${w.up ? 'up' : 'down'}`)}${attr('data-worker', w.worker)}>${td(w.worker)}${td(state, ' class="state"')}` +
    `${td(w.up ? String(w.lag_total) : '–', ' class="num lag"')}${td(lag)}${td(w.up ? String(w.dlq_total) : '–', ' class="num dlq"')}${td(dlq)}${td(deps)}${td(why, ' class="why"')}</tr>`
  );
}

function pipelineHtml(s: Status): string {
  return `<table class="pipeline"><thead><tr>${th('worker')}${th('state')}${th('lag', ' class="num"')}${th('lag per topic')}${th('DLQ', ' class="num"')}${th('DLQ by reason')}${th('dependencies')}${th('why')}</tr></thead><tbody>${s.pipeline.map(workerRow).join('')}</tbody></table>
<p class="note">Lag: records between the committed offsets and the log end (cx_consumer_lag). DLQ: records dead-lettered since each worker started (cx_dlq_total); <code>cxg dlq list</code> shows them.</p>`;
}

function contractHtml(c: { contract_id: string; provider_id: string; month: string; statement: Statement | null }): string {
  const head = `<h3>${e(c.contract_id)} <small>${e(c.provider_id)}, ${e(c.month)} to date</small></h3>`;
  const s = c.statement;
  if (s === null) return `<section class="contract"${attr('data-contract', c.contract_id)}${attr('data-month', c.month)}>${head}<p class="empty">No ledger lines in ${e(c.month)} yet.</p></section>`;
  const cur = s.currency ?? '';
  const state = s.final ? 'final' : `provisional (${formatCents(s.provisional_cents)}${cur ? ` ${cur}` : ''} not final yet)`;
  const totals = s.totals
    .filter((t) => t.amount_cents !== 0n)
    .map((t) => `<tr${attr('data-line-type', t.line_type)}${attr('data-channel', t.channel ?? '')}${attr('data-cents', t.amount_cents.toString())}>${td(t.line_type)}${td(t.channel ?? '')}${td(formatCents(t.amount_cents), ' class="num"')}</tr>`);
  return `<section class="contract"${attr('data-contract', c.contract_id)}${attr('data-month', c.month)}${attr('data-total-cents', s.total_cents.toString())}>${head}
<dl class="meta"><dt>total</dt><dd class="total">${e(`${formatCents(s.total_cents)} ${cur}`.trim())}</dd><dt>status</dt><dd class="status">${e(state)}; month ${s.closed ? 'closed' : 'not closed'}</dd></dl>
<div class="ledger-row">${dailyChartSvg(s)}${totals.length === 0 ? '' : `<table class="totals"><thead><tr>${th('line type')}${th('channel')}${th(`amount ${cur}`.trim(), ' class="num"')}</tr></thead><tbody>${totals.join('')}</tbody></table>`}</div>
</section>`;
}

function ledgerHtml(s: Status): string {
  const l = s.ledger;
  if (!l.up) return `<p class="down">Ledger unavailable: ${e(l.error)}</p>`;
  if (l.watermark_ms === null) return `<p class="empty">The ledger at ${e(l.where)} has nothing booked yet (cxg run accruals, or cxg replay).</p>`;
  const head = `<p class="meta">${e(l.where)}; watermark <span id="ledger-watermark">${e(new Date(l.watermark_ms).toISOString())}</span>. <code>cxg statement --contract ID --month YYYY-MM</code> prints a full statement.</p>`;
  if (l.contracts.length === 0) return `${head}<p class="empty">No contract of the contracts file is valid in the watermark's month.</p>`;
  return `${head}\n${l.contracts.map(contractHtml).join('\n')}`;
}

/** The page's <main>: what /api/status carries as `html` and the browser swaps in. */
export function statusMainHtml(s: Status): string {
  return `${sourcesHtml(s)}
<h2>KPIs per provider</h2>
${kpisHtml(s)}
<h2>Pipeline</h2>
${pipelineHtml(s)}
<h2>Ledger, month to date</h2>
${ledgerHtml(s)}
<p class="note refreshed">Read at <span id="read-at">${e(s.read_at)}</span>.</p>`;
}

const CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1a1a1a; }
body { margin: 16px auto; max-width: 1180px; padding: 0 16px; }
h1 { font-size: 20px; margin: 0; } h2 { font-size: 16px; margin: 22px 0 8px; } h3 { font-size: 14px; margin: 16px 0 6px; }
h3 small { font-weight: 400; color: #555; }
table { border-collapse: collapse; font-size: 12.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
th { border-bottom: 1.5px solid #444; } .num { text-align: right; }
td.kpi { text-align: right; } td.kpi small { display: block; color: #777; font-size: 10.5px; }
.breached, tr.threshold.breached td.state { color: #b00020; font-weight: 700; }
tr.threshold.ok td.state { color: #2e7d32; }
ul.sources { list-style: none; display: flex; flex-wrap: wrap; gap: 8px; padding: 0; margin: 10px 0; }
li.source { padding: 4px 10px; border-radius: 12px; font-size: 12.5px; }
li.source.up { background: #e6f4ea; } li.source.down { background: #fde7e9; }
li.source .why { display: block; font-size: 11px; color: #7a1c24; max-width: 520px; }
tr.worker.down td.state, p.down { color: #b00020; }
.empty, .note, .meta { color: #555; font-size: 12.5px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 4px 0; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; }
.ledger-row { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
svg.chart { width: 620px; max-width: 100%; height: auto; }
svg.chart text { font-size: 11px; fill: #444; } svg.chart .grid line { stroke: #e6e6e6; } svg.chart .zero { stroke: #444; }
svg.chart rect.mark { fill: #3b6ea5; } svg.chart rect.mark.neg { fill: #c0504d; }
svg.chart .cumulative { fill: none; stroke: #e0a030; stroke-width: 2; }
header { display: flex; justify-content: space-between; align-items: baseline; }
#offline { display: none; color: #b00020; font-size: 12.5px; } body.offline #offline { display: inline; }
`;

/** The browser's whole part: poll /api/status, swap <main>, say when the server itself is away. */
export const CLIENT_JS = `'use strict';
(function () {
  var main = document.querySelector('main');
  var every = Number(document.body.getAttribute('data-refresh-ms')) || 5000;
  function tick() {
    fetch('api/status', { cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (doc) { main.innerHTML = doc.html; document.body.classList.remove('offline'); document.body.setAttribute('data-refreshed', String(Date.now())); })
      .catch(function () { document.body.classList.add('offline'); })
      .then(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
})();
`;

/** The whole page, first snapshot included, so it shows something before the first poll. */
export function statusPageHtml(s: Status, refreshMs: number): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cx-gainshare status</title>
<style>${CSS}</style>
</head>
<body data-refresh-ms="${refreshMs}">
<header><h1>cx-gainshare status</h1><span class="note">refreshes every ${Math.round(refreshMs / 100) / 10} s <span id="offline">— the status server does not answer; retrying</span></span></header>
<main>
${statusMainHtml(s)}
</main>
<script src="app.js"></script>
</body>
</html>
`;
}
