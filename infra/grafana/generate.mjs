#!/usr/bin/env node
// Generates the three provisioned Grafana dashboards in infra/grafana/dashboards/ from code, with the
// KPI threshold lines of the operations board read from the contracts YAML (config/contracts.yaml,
// or CX_CONFIG), so the board and the contracts cannot drift apart.
//
//   node infra/grafana/generate.mjs           write operations.json, pipeline-health.json, finance.json
//   node infra/grafana/generate.mjs --check   exit 1 if a committed dashboard differs from what would be
//                                             generated, or if a dashboard breaks the rules below
//   node infra/grafana/generate.mjs --config FILE   read the contracts from FILE
//
// Rules every dashboard keeps (checked on every run): each query sits in a panel's targets[] as
// `expr` (PromQL, datasource uid "prometheus") or `rawSql` (ClickHouse SQL, datasource uid
// "clickhouse"), so a test can extract and run them all; panel ids are unique; the only template
// variables inside queries are $provider, $window, $family and $worker (see infra/README.md for the
// values to substitute when running the queries outside Grafana). SQL uses no Grafana macros.
//
// Each board (operations(), pipelineHealth(), finance()) is a table with one plain object per panel;
// layout() turns it into panel JSON with one builder per panel type (see "building blocks").

// eslint.config.js declares no Node globals for plain .mjs scripts
/* global process, console */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const outDir = join(here, 'dashboards');

const args = process.argv.slice(2);
const check = args.includes('--check');
const configArg = args.indexOf('--config');
const configFile = configArg >= 0 ? resolve(args[configArg + 1]) : resolve(repo, process.env.CX_CONFIG ?? 'config/contracts.yaml');

export const PROM = { type: 'prometheus', uid: 'prometheus' };
export const CH = { type: 'grafana-clickhouse-datasource', uid: 'clickhouse' };
export const TEMPLATE_VARIABLES = ['provider', 'window', 'family', 'worker'];

// ---------------------------------------------------------------------------------------------
// building blocks
//
// A board is a table: an array of plain objects, one per panel, with `{ row: 'title' }` items
// between them. A panel item names its Grafana `type`, its size `w` x `h` (the layout places it
// left to right in rows of 24 columns), its query and its display fields, e.g.
//   { type: 'timeseries', w: 8, h: 7, title: 'CPU', prom: 'rate(...)', legend: '{{job}}', unit: 'percentunit' }
// Queries: `prom` (PromQL, a string or an array; `legend` a string for all of them or an array,
// one each) or `sql` (one ClickHouse query). The datasource follows from which of the two it is,
// the query format from the panel type (a table runs PromQL as an instant query and a timeseries
// reads SQL as a time series). Everything else goes to the builder of the panel type (PANELS).

/** Lays panels out left to right in rows of 24 columns and numbers them. */
class Layout {
  constructor() {
    this.panels = [];
    this.x = 0;
    this.y = 0;
    this.rowH = 0;
    this.id = 1;
  }
  row(title) {
    this.newline();
    this.panels.push({ type: 'row', id: this.id++, title, collapsed: false, gridPos: { x: 0, y: this.y, w: 24, h: 1 }, panels: [] });
    this.y += 1;
  }
  newline() {
    if (this.x > 0) {
      this.y += this.rowH;
      this.x = 0;
      this.rowH = 0;
    }
  }
  add(panel, w, h) {
    if (this.x + w > 24) this.newline();
    const refIds = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const targets = (panel.targets ?? []).map((t, i) => ({ refId: refIds[i], ...t }));
    this.panels.push({ id: this.id++, ...panel, targets, gridPos: { x: this.x, y: this.y, w, h } });
    this.x += w;
    this.rowH = Math.max(this.rowH, h);
  }
}

/** A PromQL range query (time series). */
function prom(expr, legendFormat = '') {
  return { datasource: PROM, editorMode: 'code', expr, legendFormat, range: true, instant: false };
}
/** A PromQL instant query shown as a table. */
function promTable(expr) {
  return { datasource: PROM, editorMode: 'code', expr, format: 'table', range: false, instant: true };
}
/** A ClickHouse SQL query; format 0 = time series (long to wide by the plugin), 1 = table. */
function sql(rawSql, { timeseries = false } = {}) {
  return {
    datasource: CH,
    editorType: 'sql',
    queryType: timeseries ? 'timeseries' : 'table',
    format: timeseries ? 0 : 1,
    rawSql: rawSql.replace(/^\n+|\s+$/g, ''),
  };
}

function thresholds(steps) {
  return { mode: 'absolute', steps };
}
const GREEN = 'green';
const RED = 'red';
const ORANGE = 'orange';
/** Threshold steps: bands(GREEN, 1, RED) is green below 1 and red from 1 on. */
function bands(color, ...cuts) {
  const steps = [{ value: null, color }];
  for (let i = 0; i < cuts.length; i += 2) steps.push({ value: cuts[i], color: cuts[i + 1] });
  return steps;
}
/** A count where any is bad (open breaches, firing alerts). */
const ANY_RED = bands(GREEN, 1, RED);
/** Value mappings for a 0/1 metric: valueMap([text of 0, color], [text of 1, color]). */
function valueMap(...states) {
  return [{ type: 'value', options: Object.fromEntries(states.map(([text, color], index) => [index, { text, color, index }])) }];
}
/** A share from 0 to 1. */
const SHARE = { unit: 'percentunit', min: 0, max: 1 };
const EUR = 'currencyEUR';

// A timeseries draws its threshold steps as dashed lines when it has any (alert and contract bounds).
function timeseries({ title, description = '', targets, unit = 'short', decimals, min, max, steps, stack = false, bars = false, datasource }) {
  const defaults = {
    unit,
    ...(decimals === undefined ? {} : { decimals }),
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    color: { mode: 'palette-classic' },
    custom: {
      drawStyle: bars ? 'bars' : 'line',
      lineWidth: 1,
      fillOpacity: bars ? 80 : 10,
      showPoints: 'never',
      spanNulls: false,
      stacking: { mode: stack ? 'normal' : 'none', group: 'A' },
      thresholdsStyle: { mode: steps ? 'dashed' : 'off' },
    },
    thresholds: thresholds(steps ?? bands(GREEN)),
  };
  return {
    type: 'timeseries',
    title,
    description,
    datasource,
    targets,
    fieldConfig: { defaults, overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
  };
}

function stat({ title, description = '', targets, unit = 'short', steps, mappings = [], datasource, colorMode = 'background', textMode = 'auto' }) {
  return {
    type: 'stat',
    title,
    description,
    datasource,
    targets,
    fieldConfig: { defaults: { unit, mappings, thresholds: thresholds(steps ?? bands(GREEN)) }, overrides: [] },
    options: { colorMode, graphMode: 'none', justifyMode: 'auto', textMode, reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
  };
}

/** exclude: columns to hide; columnUnits: { column: unit } for the columns that need one. */
function table({ title, description = '', targets, datasource, exclude = [], columnUnits = {}, unit }) {
  const transformations = exclude.length
    ? [{ id: 'organize', options: { excludeByName: Object.fromEntries(exclude.map((f) => [f, true])), indexByName: {}, renameByName: {} } }]
    : [];
  const overrides = Object.entries(columnUnits).map(([name, value]) => ({ matcher: { id: 'byName', options: name }, properties: [{ id: 'unit', value }] }));
  return {
    type: 'table',
    title,
    description,
    datasource,
    targets,
    transformations,
    fieldConfig: { defaults: { ...(unit ? { unit } : {}), custom: { align: 'auto', filterable: true } }, overrides },
    options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
  };
}

function stateTimeline({ title, description = '', targets, datasource, mappings, steps }) {
  return {
    type: 'state-timeline',
    title,
    description,
    datasource,
    targets,
    fieldConfig: { defaults: { mappings, thresholds: thresholds(steps), color: { mode: 'thresholds' } }, overrides: [] },
    options: { showValue: 'never', mergeValues: true, rowHeight: 0.8, legend: { displayMode: 'list', placement: 'bottom', showLegend: false } },
  };
}

function barchart({ title, description = '', targets, datasource, unit, xField, stack = false }) {
  return {
    type: 'barchart',
    title,
    description,
    datasource,
    targets,
    fieldConfig: { defaults: { unit, color: { mode: 'palette-classic' }, custom: { fillOpacity: 80, lineWidth: 1 } }, overrides: [] },
    options: { xField, orientation: 'auto', stacking: stack ? 'normal' : 'none', showValue: 'auto', legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi' } },
  };
}

/** One builder per panel type. */
const PANELS = { timeseries, stat, table, 'state-timeline': stateTimeline, barchart };

/** The targets of a panel item: its `prom` queries with their legends, or its one `sql` query. */
function queriesOf(item) {
  if (item.sql !== undefined) return [sql(item.sql, { timeseries: item.type === 'timeseries' })];
  const legend = item.legend ?? '';
  return [item.prom].flat().map((expr, i) => (item.type === 'table' ? promTable(expr) : prom(expr, Array.isArray(legend) ? legend[i] : legend)));
}

/** The panels of a board's table, laid out and numbered. */
function layout(items) {
  const L = new Layout();
  for (const item of items) {
    if ('row' in item) {
      L.row(item.row);
      continue;
    }
    const build = PANELS[item.type];
    if (!build) throw new Error(`panel "${item.title}": no builder for type ${item.type}`);
    L.add(build({ ...item, datasource: item.sql === undefined ? PROM : CH, targets: queriesOf(item) }), item.w, item.h);
  }
  return L.panels;
}

function dashboard({ uid, title, description, tags, panels, templating = [], time = { from: 'now-6h', to: 'now' }, refresh = '30s' }) {
  return {
    uid,
    title,
    description,
    tags: ['cx-gainshare', ...tags],
    editable: true,
    graphTooltip: 1,
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh,
    time,
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    links: [{ type: 'dashboards', title: 'cx-gainshare', tags: ['cx-gainshare'], asDropdown: false, includeVars: false, keepTime: true }],
    annotations: { list: [] },
    templating: { list: templating },
    panels,
  };
}

function queryVar(name, label, query, { multi = true, includeAll = true, allValue = '.*' } = {}) {
  return {
    name,
    label,
    type: 'query',
    datasource: PROM,
    definition: query,
    query,
    refresh: 2,
    sort: 1,
    multi,
    includeAll,
    allValue,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    hide: 0,
  };
}

function customVar(name, label, values, current, { multi = false, includeAll = false, allValue } = {}) {
  return {
    name,
    label,
    type: 'custom',
    query: values.join(','),
    multi,
    includeAll,
    ...(allValue ? { allValue } : {}),
    current: { selected: true, text: current, value: current },
    options: values.map((v) => ({ selected: v === current, text: v, value: v })),
    hide: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// KPIs (docs/kpis.md)

const KPIS = {
  abandon_rate: { title: 'Abandon rate', ...SHARE, help: 'abandoned / offered contacts' },
  service_level: { title: 'Service level', ...SHARE, help: 'PHONE contacts answered within the service level seconds / PHONE offered' },
  aht_seconds: { title: 'Average handle time', unit: 's', min: 0, help: 'handle time / answered contacts' },
  repeat_rate: { title: 'Repeat rate', ...SHARE, help: 'REPEAT_CONTACT signals charged to the provider / answered contacts' },
  fcr_rate: { title: 'First contact resolution', ...SHARE, help: '1 - repeat rate' },
  csat_top2: { title: 'CSAT top-2 box', ...SHARE, help: 'answered contacts with csat >= 4 / csat responses' },
  csat_avg: { title: 'CSAT average', unit: 'none', min: 1, max: 5, decimals: 2, help: 'mean csat (1..5)' },
  switch_share: { title: 'Channel switch share', ...SHARE, help: 'CHANNEL_SWITCH signals on the provider\'s contacts / answered PHONE contacts' },
  sales_per_contact_cents: { title: 'Sales per contact', unit: EUR, min: 0, scale: 100, help: 'sale amount / answered contacts (shown in currency units: cents / 100)' },
};

/** The axis of a KPI's panels: unit and bounds. */
function kpiAxis(meta) {
  return { unit: meta.unit, min: meta.min, max: meta.max, decimals: meta.decimals };
}

/** PromQL for one KPI series, scaled to display units. */
function kpiExpr(selector, kpi) {
  const scale = KPIS[kpi].scale;
  return scale ? `cx_kpi{${selector}} / ${scale}` : `cx_kpi{${selector}}`;
}

/**
 * Threshold steps (colors by value band) for a KPI from its bounds: red where an alert bound
 * (kpi_thresholds) is violated, orange where only a monthly gate (quality_gate, quality_malus) is.
 */
export function boundSteps(bounds, scale = 1) {
  const cuts = [...new Set(bounds.map((b) => (b.min ?? b.max) / scale))].sort((a, b) => a - b);
  if (!cuts.length) return [{ value: null, color: GREEN }];
  const violates = (v, b) => (b.min !== undefined ? v < b.min / scale : v > b.max / scale);
  const colorAt = (v) => (bounds.some((b) => b.kind === 'alert' && violates(v, b)) ? RED : bounds.some((b) => violates(v, b)) ? ORANGE : GREEN);
  const reps = [cuts[0] - Math.abs(cuts[0]) - 1, ...cuts.map((c, i) => (i + 1 < cuts.length ? (c + cuts[i + 1]) / 2 : c + Math.abs(c) + 1))];
  const steps = [{ value: null, color: colorAt(reps[0]) }];
  cuts.forEach((c, i) => {
    const color = colorAt(reps[i + 1]);
    if (color !== steps[steps.length - 1].color) steps.push({ value: c, color });
  });
  return steps;
}

function describeBound(b) {
  const fails = b.min !== undefined ? `below ${b.min}` : `above ${b.max}`;
  if (b.kind === 'alert') {
    return `alert (kpi_thresholds) when ${fails} on the ${b.window} window with at least ${b.min_samples ?? 1} samples; clears ${b.clear_margin ?? 0} inside the bound (red)`;
  }
  return `${b.kind} fails when ${fails} over the calendar month (orange)`;
}

/** Bounds per provider and KPI from the contracts config. */
export function contractBounds(config) {
  const out = [];
  for (const c of config.contracts ?? []) {
    const byKpi = new Map();
    const push = (kpi, b) => {
      if (!byKpi.has(kpi)) byKpi.set(kpi, []);
      byKpi.get(kpi).push(b);
    };
    for (const t of c.kpi_thresholds ?? []) push(t.kpi, { kind: 'alert', ...t });
    for (const g of c.gainshare?.quality_gate ?? []) push(g.kpi, { kind: 'gainshare quality gate', ...g });
    for (const g of c.per_customer?.quality_malus?.gate ?? []) push(g.kpi, { kind: `customer fee malus gate (-${c.per_customer.quality_malus.pct} %)`, ...g });
    out.push({ contract: c.id, provider: c.provider_id, validFrom: c.valid_from, validTo: c.valid_to, byKpi });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// operations board

/** The row of one contract: its open breaches, then each KPI with a bound drawn against its bounds. */
function contractPanels(c) {
  const items = [
    { row: `${c.provider}: contract ${c.contract} (${c.validFrom} .. ${c.validTo}), thresholds from the contracts config` },
    { type: 'stat', w: 3, h: 7, title: `Open breaches ${c.provider}`, prom: `count(cx_kpi_breached{provider="${c.provider}",contract="${c.contract}"} == 1) or vector(0)`, steps: ANY_RED },
  ];
  if (c.byKpi.size === 0) {
    items.push({
      type: 'stat', w: 6, h: 7, title: `${c.provider}: no KPI bounds`, textMode: 'name', prom: `count(cx_kpi{provider="${c.provider}"})`,
      description: 'This contract has no kpi_thresholds and no quality gates; its KPIs are on the comparison row above.',
    });
  }
  for (const [kpi, bounds] of c.byKpi) {
    const meta = KPIS[kpi];
    if (!meta) throw new Error(`${configFile}: contract ${c.contract}: unknown KPI ${kpi}`);
    const alertWindows = [...new Set(bounds.filter((b) => b.kind === 'alert').map((b) => b.window))];
    // an alert threshold is judged on its own window; a monthly gate is closest to the 7d window
    const windows = alertWindows.length ? alertWindows : ['7d'];
    items.push({
      type: 'timeseries', w: 7, h: 7, title: `${c.provider} ${kpi} (${windows.join(', ')})`, ...kpiAxis(meta), steps: boundSteps(bounds, meta.scale ?? 1),
      description: [`${meta.help}.`, ...bounds.map(describeBound)].join('\n'),
      prom: windows.map((w) => kpiExpr(`provider="${c.provider}",kpi="${kpi}",window="${w}"`, kpi)), legend: `${c.provider} ${kpi} {{window}}`,
    });
  }
  return items;
}

function operations(config) {
  const panels = layout([
    { row: 'Open breaches and volume ($window)' },
    {
      type: 'stat', w: 4, h: 8, title: 'Open KPI breaches', steps: ANY_RED, prom: 'count(cx_kpi_breached{provider=~"$provider"} == 1) or vector(0)',
      description: 'Provider, KPI and window combinations the kpi worker currently reports as breached (cx_kpi_breached == 1), for the selected providers.',
    },
    {
      type: 'table', w: 8, h: 8, title: 'Open breaches', prom: 'cx_kpi_breached{provider=~"$provider"} == 1', exclude: ['Time', '__name__', 'job', 'instance', 'worker', 'Value'],
      description: 'One row per breached provider, KPI, window and contract. Thresholds: config/contracts.yaml kpi_thresholds; the breach clears with the contract\'s clear_margin (hysteresis).',
    },
    {
      type: 'state-timeline', w: 12, h: 8, title: 'Breach history', description: 'OK / BREACHED over time per provider, KPI and window.',
      prom: 'max by (provider, kpi, window) (cx_kpi_breached{provider=~"$provider"})', legend: '{{provider}} {{kpi}} {{window}}',
      mappings: valueMap(['OK', GREEN], ['BREACHED', RED]), steps: ANY_RED,
    },
    {
      type: 'timeseries', w: 6, h: 7, title: 'Contacts offered ($window)', description: 'All contacts offered in the rolling window (the sample of abandon_rate).',
      prom: 'cx_kpi_sample{provider=~"$provider",kpi="abandon_rate",window="$window"}', legend: '{{provider}}',
    },
    {
      type: 'timeseries', w: 6, h: 7, title: 'Contacts answered ($window)', description: 'Answered contacts in the rolling window (the sample of aht_seconds).',
      prom: 'cx_kpi_sample{provider=~"$provider",kpi="aht_seconds",window="$window"}', legend: '{{provider}}',
    },
    {
      type: 'timeseries', w: 6, h: 7, title: 'Input events per minute', legend: '{{topic}}',
      description: 'Accepted records per minute on the input topics, counted by their first consumer (contacts and web by the detector, customers by the accruals worker).',
      prom: [
        'sum by (topic) (rate(cx_events_total{result="accepted",worker="detector",topic=~"cx.contacts.v1|cx.web.v1"}[5m])) * 60',
        'sum by (topic) (rate(cx_events_total{result="accepted",worker="accruals",topic="cx.customers.v1"}[5m])) * 60',
      ],
    },
    {
      type: 'timeseries', w: 6, h: 7, title: 'Signals per minute', description: 'REPEAT_CONTACT and CHANNEL_SWITCH signals the detector emits.',
      prom: 'sum by (kind) (rate(cx_signals_total{worker="detector"}[5m])) * 60', legend: '{{kind}}',
    },

    { row: 'KPIs of the selected providers ($window)' },
    ...Object.entries(KPIS).map(([kpi, meta]) => ({
      type: 'timeseries', w: 8, h: 7, title: `${meta.title} (${kpi})`, ...kpiAxis(meta),
      description: `${meta.help}. Rolling window $window of event time; provider "all" is every provider together.`,
      prom: kpiExpr('provider=~"$provider",kpi="' + kpi + '",window="$window"', kpi), legend: '{{provider}}',
    })),

    ...contractBounds(config).flatMap(contractPanels),

    { row: 'Self-service (web journeys, $window)' },
    {
      type: 'timeseries', w: 12, h: 7, title: 'Self-service success rate', ...SHARE, description: 'COMPLETED journeys / journeys, per intent family ("all" = every family).',
      prom: 'cx_web_kpi{family=~"$family",kpi="self_service_success_rate",window="$window"}', legend: '{{family}}',
    },
    {
      type: 'timeseries', w: 12, h: 7, title: 'Web to phone rate', ...SHARE, description: 'CHANNEL_SWITCH signals / identified journeys with a switch outcome, per intent family.',
      prom: 'cx_web_kpi{family=~"$family",kpi="web_to_phone_rate",window="$window"}', legend: '{{family}}',
    },
  ]);

  return dashboard({
    uid: 'cxg-operations',
    title: 'cx-gainshare / Operations',
    description: 'Live KPIs per provider against their contract thresholds, open breaches, volumes and signals.',
    tags: ['operations'],
    panels,
    templating: [
      queryVar('provider', 'Provider', 'label_values(cx_kpi, provider)'),
      customVar('window', 'Window', ['1h', '24h', '7d'], '24h'),
      queryVar('family', 'Intent family', 'label_values(cx_web_kpi, family)'),
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// pipeline-health board

function histogramQuantile(q, metric, window = '5m') {
  return `histogram_quantile(${q}, sum by (worker, le) (rate(${metric}_bucket{worker=~"$worker"}[${window}])))`;
}
/** The queries of a latency panel: one quantile series per worker and quantile, e.g. "kpi p95". */
function quantiles(metric, ...qs) {
  return { prom: qs.map((q) => histogramQuantile(q, metric)), legend: qs.map((q) => `{{worker}} p${Math.round(q * 100)}`) };
}

function pipelineHealth() {
  const panels = layout([
    { row: 'Workers' },
    {
      type: 'stat', w: 8, h: 5, title: 'Worker up', description: 'Prometheus scrape of each worker\'s /metrics (job = worker name).',
      prom: 'up{job=~"$worker"}', legend: '{{job}}', mappings: valueMap(['DOWN', RED], ['UP', GREEN]), steps: bands(RED, 1, GREEN),
    },
    { type: 'stat', w: 4, h: 5, title: 'Firing alerts', prom: 'count(ALERTS{alertstate="firing"}) or vector(0)', steps: ANY_RED },
    {
      type: 'table', w: 12, h: 5, title: 'Firing alerts', description: 'Alerts Prometheus currently fires (rules: infra/prometheus/rules).',
      prom: 'ALERTS{alertstate="firing"}', exclude: ['Time', '__name__', 'Value', 'alertstate'],
    },

    { row: 'Throughput' },
    {
      type: 'timeseries', w: 12, h: 8, title: 'Events per second by topic and result', unit: 'reqps',
      description: 'cx_events_total: accepted, duplicate (event_id already accepted on the topic) and rejected (to the DLQ), per consuming worker.',
      prom: 'sum by (worker, topic, result) (rate(cx_events_total{worker=~"$worker"}[1m]))', legend: '{{worker}} {{topic}} {{result}}',
    },
    {
      type: 'timeseries', w: 6, h: 8, title: 'Duplicate and rejected share', unit: 'percentunit', min: 0, legend: '{{worker}} {{topic}} {{result}}',
      prom: 'sum by (worker, topic, result) (rate(cx_events_total{worker=~"$worker",result=~"duplicate|rejected"}[5m])) / ignoring(result) group_left sum by (worker, topic) (rate(cx_events_total{worker=~"$worker"}[5m]))',
    },
    { type: 'timeseries', w: 6, h: 8, title: 'Signals per second', unit: 'reqps', prom: 'sum by (kind) (rate(cx_signals_total{worker="detector"}[1m]))', legend: '{{kind}}' },

    { row: 'Lag' },
    {
      type: 'timeseries', w: 8, h: 8, title: 'Consumer lag by topic', steps: bands(GREEN, 50000, RED),
      description: 'Records not yet consumed, summed over partitions. Alerts: ConsumerLagGrowing (rising 10m and > 1000), ConsumerLagHigh (> 50 000 for 10m).',
      prom: 'sum by (worker, topic) (cx_consumer_lag{worker=~"$worker"})', legend: '{{worker}} {{topic}}',
    },
    {
      type: 'timeseries', w: 8, h: 8, title: 'Consumer lag by partition', description: 'An uneven spread points at a hot key or a stuck member.',
      prom: 'max by (worker, topic, partition) (cx_consumer_lag{worker=~"$worker"})', legend: '{{worker}} {{topic}}[{{partition}}]',
    },
    {
      type: 'timeseries', w: 8, h: 8, title: 'Processing lag p50 / p95 (event time to processed)', unit: 's', steps: bands(GREEN, 600, RED),
      description: 'Includes the reorder buffer\'s allowed lateness. Alert ProcessingLagHigh: p95 > 10m for 10m.',
      ...quantiles('cx_processing_lag_seconds', 0.5, 0.95),
    },
    {
      type: 'timeseries', w: 8, h: 8, title: 'Late events per second', unit: 'reqps', description: 'Records that arrived behind the watermark by more than the allowed lateness.',
      prom: 'sum by (worker, topic) (rate(cx_late_events_total{worker=~"$worker"}[5m]))', legend: '{{worker}} {{topic}}',
    },

    { row: 'Errors and batches' },
    {
      type: 'timeseries', w: 8, h: 8, title: 'DLQ records per second by reason', unit: 'reqps', steps: bands(GREEN, 0.1, RED),
      description: 'Rejected records sent to cx.dlq.v1. Alert DlqRateHigh: > 0.1/s per reason for 5m.',
      prom: 'sum by (topic, reason) (rate(cx_dlq_total{worker=~"$worker"}[5m]))', legend: '{{topic}} {{reason}}',
    },
    {
      type: 'timeseries', w: 8, h: 8, title: 'Batch duration p50 / p99', unit: 's', steps: bands(GREEN, 5, RED),
      description: 'decode, validate, engine, store round trip, produce, commit. Alert BatchDurationHigh: p99 > 5s for 10m.',
      ...quantiles('cx_batch_duration_seconds', 0.5, 0.99),
    },
    { type: 'timeseries', w: 8, h: 8, title: 'Batches per second', unit: 'reqps', prom: 'sum by (worker) (rate(cx_batch_duration_seconds_count{worker=~"$worker"}[1m]))', legend: '{{worker}}' },

    { row: 'Processes' },
    { type: 'timeseries', w: 8, h: 7, title: 'CPU', unit: 'percentunit', prom: 'rate(process_cpu_seconds_total{job=~"$worker"}[1m])', legend: '{{job}}' },
    { type: 'timeseries', w: 8, h: 7, title: 'Resident memory', unit: 'bytes', prom: 'process_resident_memory_bytes{job=~"$worker"}', legend: '{{job}}' },
    { type: 'timeseries', w: 8, h: 7, title: 'Event loop lag p99', unit: 's', prom: 'nodejs_eventloop_lag_p99_seconds{job=~"$worker"}', legend: '{{job}}' },
  ]);

  return dashboard({
    uid: 'cxg-pipeline-health',
    title: 'cx-gainshare / Pipeline health',
    description: 'Throughput, consumer lag, DLQ, processing lag and batch durations of the detector, kpi and accruals workers.',
    tags: ['pipeline'],
    panels,
    templating: [customVar('worker', 'Worker', ['detector', 'kpi', 'accruals'], 'All', { multi: true, includeAll: true, allValue: 'detector|kpi|accruals' })],
    time: { from: 'now-3h', to: 'now' },
  });
}

// ---------------------------------------------------------------------------------------------
// finance board (ClickHouse; tables and views created by the accruals worker's migrations)

const CLOSE_LINES = "('gainshare_cap', 'gainshare_quality_gate', 'customer_fee_malus', 'customer_floor_malus')";
// the latest month each contract has lines in: "month to date" in live operation, and the last
// re-rated month in a replay (the simulator's data need not be in the wall-clock month)
const LATEST_MONTH_DAILY = '(contract_id, toStartOfMonth(date)) IN (SELECT contract_id, max(toStartOfMonth(date)) FROM accrual_daily GROUP BY contract_id)';
const LATEST_MONTH_LINES = '(contract_id, toStartOfMonth(date)) IN (SELECT contract_id, max(toStartOfMonth(date)) FROM accrual_lines FINAL GROUP BY contract_id)';
/** The finance tables' amount column, in EUR. */
const AMOUNT_EUR = { amount: EUR };
/** The monthly statement's amount per month, one series per value of `column`. */
function monthlyAmountBy(column) {
  return `
SELECT
  toDateTime(month) AS time,
  ${column},
  sum(toInt128(amount_cents)) / 100 AS amount
FROM accrual_monthly_statement
GROUP BY time, ${column}
ORDER BY time, ${column}`;
}

function finance() {
  const panels = layout([
    { row: 'Month to date (latest month with lines, per contract)' },
    {
      type: 'barchart', w: 10, h: 8, title: 'Month to date per contract: final and provisional', unit: EUR, xField: 'contract_id', stack: true,
      description: 'Amount of the latest month per contract, split by line status. Provisional lines become final once the watermark passes the end of their day plus the allowed lateness.',
      sql: `
SELECT
  contract_id,
  sumIf(toInt128(amount_cents), status = 'final') / 100 AS final,
  sumIf(toInt128(amount_cents), status = 'provisional') / 100 AS provisional
FROM accrual_lines FINAL
WHERE ${LATEST_MONTH_LINES}
GROUP BY contract_id
ORDER BY contract_id`,
    },
    {
      type: 'table', w: 14, h: 8, title: 'Month to date per contract and line type', columnUnits: AMOUNT_EUR,
      sql: `
SELECT
  contract_id,
  provider_id,
  toStartOfMonth(date) AS month,
  line_type,
  sum(quantity) AS quantity,
  sum(toInt128(amount_cents)) / 100 AS amount
FROM accrual_daily
WHERE ${LATEST_MONTH_DAILY}
GROUP BY contract_id, provider_id, month, line_type
ORDER BY contract_id, line_type`,
    },
    {
      type: 'timeseries', w: 12, h: 8, title: 'Daily accruals by line type (last 31 days with lines)', unit: EUR, bars: true, stack: true,
      sql: `
SELECT
  toDateTime(date) AS time,
  line_type,
  sum(toInt128(amount_cents)) / 100 AS amount
FROM accrual_daily
WHERE date > (SELECT max(date) FROM accrual_daily) - 31
GROUP BY time, line_type
ORDER BY time, line_type`,
    },
    {
      type: 'timeseries', w: 12, h: 8, title: 'Avoided contacts per day (gainshare quantity)', bars: true,
      description: 'gainshare_repeat: repeat baseline x answered - repeats; gainshare_switch: switch baseline x failed journeys - switches (docs/accruals.md).',
      sql: `
SELECT
  toDateTime(date) AS time,
  concat(contract_id, ' ', line_type) AS series,
  sum(quantity) AS avoided
FROM accrual_daily
WHERE line_type IN ('gainshare_repeat', 'gainshare_switch')
  AND date > (SELECT max(date) FROM accrual_daily) - 31
GROUP BY time, series
ORDER BY time, series`,
    },

    { row: 'By month' },
    { type: 'timeseries', w: 12, h: 8, title: 'Accruals by month and provider', unit: EUR, bars: true, stack: true, sql: monthlyAmountBy('provider_id') },
    { type: 'timeseries', w: 12, h: 8, title: 'Accruals by month and line type', unit: EUR, bars: true, stack: true, sql: monthlyAmountBy('line_type') },
    {
      type: 'table', w: 14, h: 10, title: 'Monthly statement (month, provider, contract, line type)', columnUnits: AMOUNT_EUR,
      description: 'final = every line of the month is final and the month is closed; month-close lines (cap, quality gate, malus) are dated the month\'s last day inside validity.',
      sql: `
SELECT
  month,
  provider_id,
  contract_id,
  line_type,
  sum(toInt128(amount_cents)) / 100 AS amount,
  min(toUInt8(final)) = 1 AS final
FROM accrual_monthly_statement
GROUP BY month, provider_id, contract_id, line_type
ORDER BY month DESC, provider_id, contract_id, line_type`,
    },
    {
      type: 'table', w: 10, h: 10, title: 'Month-close adjustments', columnUnits: AMOUNT_EUR,
      description: 'gainshare_cap, gainshare_quality_gate, customer_fee_malus, customer_floor_malus (docs/accruals.md).',
      sql: `
SELECT
  month,
  contract_id,
  line_type,
  sum(toInt128(amount_cents)) / 100 AS amount
FROM accrual_monthly_statement
WHERE line_type IN ${CLOSE_LINES}
GROUP BY month, contract_id, line_type
ORDER BY month DESC, contract_id, line_type`,
    },

    { row: 'Provisional and final' },
    {
      type: 'table', w: 14, h: 8, title: 'Lines by month, contract and status', columnUnits: AMOUNT_EUR,
      description: 'How much of each month is still provisional (may change when late events re-rate a day) and how much is final.',
      sql: `
SELECT
  toStartOfMonth(date) AS month,
  contract_id,
  status,
  count() AS lines,
  uniqExact(date) AS days,
  min(date) AS first_day,
  max(date) AS last_day,
  sum(toInt128(amount_cents)) / 100 AS amount
FROM accrual_lines FINAL
GROUP BY month, contract_id, status
ORDER BY month DESC, contract_id, status`,
    },
    {
      type: 'table', w: 10, h: 8, title: 'Latest written lines', columnUnits: AMOUNT_EUR,
      description: 'The 50 ledger lines written last (highest version: a re-rated day replaces its lines with a higher version).',
      sql: `
SELECT
  contract_id,
  date,
  line_type,
  channel,
  status,
  amount_cents / 100 AS amount,
  version
FROM accrual_lines FINAL
ORDER BY version DESC, contract_id, date DESC, line_type
LIMIT 50`,
    },

    { row: 'Live (accruals worker)' },
    {
      type: 'timeseries', w: 12, h: 7, title: 'Month to date per contract (live gauge)', unit: EUR, description: 'cx_accrual_cents from the accruals worker, between ledger reads.',
      prom: 'sum by (contract) (cx_accrual_cents) / 100', legend: '{{contract}}',
    },
    { type: 'timeseries', w: 12, h: 7, title: 'Month to date by line type (live gauge)', unit: EUR, stack: true, prom: 'sum by (line_type) (cx_accrual_cents) / 100', legend: '{{line_type}}' },
  ]);

  return dashboard({
    uid: 'cxg-finance',
    title: 'cx-gainshare / Finance',
    description: 'Accruals from the ClickHouse ledger: by month, provider and line type; month to date per contract; provisional and final. Amounts in the contracts\' currency (EUR in config/contracts.yaml).',
    tags: ['finance'],
    panels,
    time: { from: 'now-13M/M', to: 'now/M' },
    refresh: '5m',
  });
}

// ---------------------------------------------------------------------------------------------
// rules every dashboard keeps

/** Every target of every panel (rows included), flat. */
export function targetsOf(dash) {
  const out = [];
  const walk = (panels) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) out.push({ panel: p, target: t });
      walk(p.panels);
    }
  };
  walk(dash.panels);
  return out;
}

export function lint(name, dash) {
  const errors = [];
  const ids = new Set();
  const walk = (panels) => {
    for (const p of panels ?? []) {
      if (ids.has(p.id)) errors.push(`${name}: duplicate panel id ${p.id}`);
      ids.add(p.id);
      const g = p.gridPos;
      if (!g || g.x < 0 || g.w < 1 || g.x + g.w > 24 || g.h < 1) errors.push(`${name}: panel ${p.id} "${p.title}" has a bad gridPos`);
      if (p.type !== 'row' && !(p.targets ?? []).length) errors.push(`${name}: panel ${p.id} "${p.title}" has no query`);
      walk(p.panels);
    }
  };
  walk(dash.panels);
  for (const { panel, target } of targetsOf(dash)) {
    const where = `${name}: panel ${panel.id} "${panel.title}" target ${target.refId}`;
    const uid = target.datasource?.uid;
    if (uid === PROM.uid) {
      if (typeof target.expr !== 'string' || !target.expr.trim()) errors.push(`${where}: a Prometheus target needs expr`);
    } else if (uid === CH.uid) {
      if (typeof target.rawSql !== 'string' || !target.rawSql.trim()) errors.push(`${where}: a ClickHouse target needs rawSql`);
      if (/\$__/.test(target.rawSql)) errors.push(`${where}: no Grafana macros in SQL (tests run it as is)`);
    } else {
      errors.push(`${where}: unknown datasource ${JSON.stringify(target.datasource)}`);
    }
    const q = target.expr ?? target.rawSql ?? '';
    for (const m of q.matchAll(/\$(\w+)/g)) if (!TEMPLATE_VARIABLES.includes(m[1])) errors.push(`${where}: unknown variable $${m[1]}`);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------

function main() {
  const config = parse(readFileSync(configFile, 'utf8'));
  const boards = { 'operations.json': operations(config), 'pipeline-health.json': pipelineHealth(), 'finance.json': finance() };
  const errors = [];
  let stale = 0;
  for (const [file, dash] of Object.entries(boards)) {
    errors.push(...lint(file, dash));
    const text = JSON.stringify(dash, null, 2) + '\n';
    const path = join(outDir, file);
    if (check) {
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
        console.error(`${path}: differs from the generated dashboard; run node infra/grafana/generate.mjs`);
        stale++;
      }
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${path} (${targetsOf(dash).length} queries)`);
    }
  }
  for (const e of errors) console.error(e);
  if (errors.length || stale) process.exit(1);
  if (check) console.log('dashboards are up to date and keep the rules');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
