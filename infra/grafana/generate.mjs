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

function timeseries({ title, description = '', targets, unit = 'short', decimals, min, max, steps, stack = false, bars = false, datasource = PROM, thresholdLines = false }) {
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
      thresholdsStyle: { mode: thresholdLines ? 'dashed' : 'off' },
    },
    thresholds: thresholds(steps ?? [{ value: null, color: GREEN }]),
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

function stat({ title, description = '', targets, unit = 'short', steps, mappings = [], datasource = PROM, colorMode = 'background', textMode = 'auto' }) {
  return {
    type: 'stat',
    title,
    description,
    datasource,
    targets,
    fieldConfig: { defaults: { unit, mappings, thresholds: thresholds(steps ?? [{ value: null, color: GREEN }]) }, overrides: [] },
    options: { colorMode, graphMode: 'none', justifyMode: 'auto', textMode, reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
  };
}

function table({ title, description = '', targets, datasource = PROM, exclude = [], overrides = [], unit }) {
  const transformations = exclude.length
    ? [{ id: 'organize', options: { excludeByName: Object.fromEntries(exclude.map((f) => [f, true])), indexByName: {}, renameByName: {} } }]
    : [];
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

function stateTimeline({ title, description = '', targets, mappings, steps }) {
  return {
    type: 'state-timeline',
    title,
    description,
    datasource: PROM,
    targets,
    fieldConfig: { defaults: { mappings, thresholds: thresholds(steps), color: { mode: 'thresholds' } }, overrides: [] },
    options: { showValue: 'never', mergeValues: true, rowHeight: 0.8, legend: { displayMode: 'list', placement: 'bottom', showLegend: false } },
  };
}

function barchart({ title, description = '', targets, unit, xField, stack = false }) {
  return {
    type: 'barchart',
    title,
    description,
    datasource: CH,
    targets,
    fieldConfig: { defaults: { unit, color: { mode: 'palette-classic' }, custom: { fillOpacity: 80, lineWidth: 1 } }, overrides: [] },
    options: { xField, orientation: 'auto', stacking: stack ? 'normal' : 'none', showValue: 'auto', legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi' } },
  };
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
  abandon_rate: { title: 'Abandon rate', unit: 'percentunit', min: 0, max: 1, help: 'abandoned / offered contacts' },
  service_level: { title: 'Service level', unit: 'percentunit', min: 0, max: 1, help: 'PHONE contacts answered within the service level seconds / PHONE offered' },
  aht_seconds: { title: 'Average handle time', unit: 's', min: 0, help: 'handle time / answered contacts' },
  repeat_rate: { title: 'Repeat rate', unit: 'percentunit', min: 0, max: 1, help: 'REPEAT_CONTACT signals charged to the provider / answered contacts' },
  fcr_rate: { title: 'First contact resolution', unit: 'percentunit', min: 0, max: 1, help: '1 - repeat rate' },
  csat_top2: { title: 'CSAT top-2 box', unit: 'percentunit', min: 0, max: 1, help: 'answered contacts with csat >= 4 / csat responses' },
  csat_avg: { title: 'CSAT average', unit: 'none', min: 1, max: 5, decimals: 2, help: 'mean csat (1..5)' },
  switch_share: { title: 'Channel switch share', unit: 'percentunit', min: 0, max: 1, help: 'CHANNEL_SWITCH signals on the provider\'s contacts / answered PHONE contacts' },
  sales_per_contact_cents: { title: 'Sales per contact', unit: 'currencyEUR', min: 0, scale: 100, help: 'sale amount / answered contacts (shown in currency units: cents / 100)' },
};

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

function operations(config) {
  const L = new Layout();
  const contracts = contractBounds(config);

  L.row('Open breaches and volume ($window)');
  L.add(
    stat({
      title: 'Open KPI breaches',
      description: 'Provider, KPI and window combinations the kpi worker currently reports as breached (cx_kpi_breached == 1), for the selected providers.',
      targets: [prom('count(cx_kpi_breached{provider=~"$provider"} == 1) or vector(0)')],
      steps: [{ value: null, color: GREEN }, { value: 1, color: RED }],
    }),
    4,
    8,
  );
  L.add(
    table({
      title: 'Open breaches',
      description: 'One row per breached provider, KPI, window and contract. Thresholds: config/contracts.yaml kpi_thresholds; the breach clears with the contract\'s clear_margin (hysteresis).',
      targets: [promTable('cx_kpi_breached{provider=~"$provider"} == 1')],
      exclude: ['Time', '__name__', 'job', 'instance', 'worker', 'Value'],
    }),
    8,
    8,
  );
  L.add(
    stateTimeline({
      title: 'Breach history',
      description: 'OK / BREACHED over time per provider, KPI and window.',
      targets: [prom('max by (provider, kpi, window) (cx_kpi_breached{provider=~"$provider"})', '{{provider}} {{kpi}} {{window}}')],
      mappings: [{ type: 'value', options: { 0: { text: 'OK', color: GREEN, index: 0 }, 1: { text: 'BREACHED', color: RED, index: 1 } } }],
      steps: [{ value: null, color: GREEN }, { value: 1, color: RED }],
    }),
    12,
    8,
  );
  L.add(
    timeseries({
      title: 'Contacts offered ($window)',
      description: 'All contacts offered in the rolling window (the sample of abandon_rate).',
      targets: [prom('cx_kpi_sample{provider=~"$provider",kpi="abandon_rate",window="$window"}', '{{provider}}')],
    }),
    6,
    7,
  );
  L.add(
    timeseries({
      title: 'Contacts answered ($window)',
      description: 'Answered contacts in the rolling window (the sample of aht_seconds).',
      targets: [prom('cx_kpi_sample{provider=~"$provider",kpi="aht_seconds",window="$window"}', '{{provider}}')],
    }),
    6,
    7,
  );
  L.add(
    timeseries({
      title: 'Input events per minute',
      description: 'Accepted records per minute on the input topics, counted by their first consumer (contacts and web by the detector, customers by the accruals worker).',
      targets: [
        prom('sum by (topic) (rate(cx_events_total{result="accepted",worker="detector",topic=~"cx.contacts.v1|cx.web.v1"}[5m])) * 60', '{{topic}}'),
        prom('sum by (topic) (rate(cx_events_total{result="accepted",worker="accruals",topic="cx.customers.v1"}[5m])) * 60', '{{topic}}'),
      ],
    }),
    6,
    7,
  );
  L.add(
    timeseries({
      title: 'Signals per minute',
      description: 'REPEAT_CONTACT and CHANNEL_SWITCH signals the detector emits.',
      targets: [prom('sum by (kind) (rate(cx_signals_total{worker="detector"}[5m])) * 60', '{{kind}}')],
    }),
    6,
    7,
  );

  L.row('KPIs of the selected providers ($window)');
  for (const [kpi, meta] of Object.entries(KPIS)) {
    L.add(
      timeseries({
        title: `${meta.title} (${kpi})`,
        description: `${meta.help}. Rolling window $window of event time; provider "all" is every provider together.`,
        targets: [prom(kpiExpr('provider=~"$provider",kpi="' + kpi + '",window="$window"', kpi), '{{provider}}')],
        unit: meta.unit,
        min: meta.min,
        max: meta.max,
        decimals: meta.decimals,
      }),
      8,
      7,
    );
  }

  for (const c of contracts) {
    L.row(`${c.provider}: contract ${c.contract} (${c.validFrom} .. ${c.validTo}), thresholds from the contracts config`);
    L.add(
      stat({
        title: `Open breaches ${c.provider}`,
        targets: [prom(`count(cx_kpi_breached{provider="${c.provider}",contract="${c.contract}"} == 1) or vector(0)`)],
        steps: [{ value: null, color: GREEN }, { value: 1, color: RED }],
      }),
      3,
      7,
    );
    if (c.byKpi.size === 0) {
      L.add(
        stat({
          title: `${c.provider}: no KPI bounds`,
          description: 'This contract has no kpi_thresholds and no quality gates; its KPIs are on the comparison row above.',
          targets: [prom(`count(cx_kpi{provider="${c.provider}"})`)],
          textMode: 'name',
        }),
        6,
        7,
      );
    }
    for (const [kpi, bounds] of c.byKpi) {
      const meta = KPIS[kpi];
      if (!meta) throw new Error(`${configFile}: contract ${c.contract}: unknown KPI ${kpi}`);
      const alertWindows = [...new Set(bounds.filter((b) => b.kind === 'alert').map((b) => b.window))];
      // an alert threshold is judged on its own window; a monthly gate is closest to the 7d window
      const windows = alertWindows.length ? alertWindows : ['7d'];
      L.add(
        timeseries({
          title: `${c.provider} ${kpi} (${windows.join(', ')})`,
          description: [`${meta.help}.`, ...bounds.map(describeBound)].join('\n'),
          targets: windows.map((w) => prom(kpiExpr(`provider="${c.provider}",kpi="${kpi}",window="${w}"`, kpi), `${c.provider} ${kpi} {{window}}`)),
          unit: meta.unit,
          min: meta.min,
          max: meta.max,
          decimals: meta.decimals,
          steps: boundSteps(bounds, meta.scale ?? 1),
          thresholdLines: true,
        }),
        7,
        7,
      );
    }
  }

  L.row('Self-service (web journeys, $window)');
  L.add(
    timeseries({
      title: 'Self-service success rate',
      description: 'COMPLETED journeys / journeys, per intent family ("all" = every family).',
      targets: [prom('cx_web_kpi{family=~"$family",kpi="self_service_success_rate",window="$window"}', '{{family}}')],
      unit: 'percentunit',
      min: 0,
      max: 1,
    }),
    12,
    7,
  );
  L.add(
    timeseries({
      title: 'Web to phone rate',
      description: 'CHANNEL_SWITCH signals / identified journeys with a switch outcome, per intent family.',
      targets: [prom('cx_web_kpi{family=~"$family",kpi="web_to_phone_rate",window="$window"}', '{{family}}')],
      unit: 'percentunit',
      min: 0,
      max: 1,
    }),
    12,
    7,
  );
  L.newline();

  return dashboard({
    uid: 'cxg-operations',
    title: 'cx-gainshare / Operations',
    description: 'Live KPIs per provider against their contract thresholds, open breaches, volumes and signals.',
    tags: ['operations'],
    panels: L.panels,
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

function pipelineHealth() {
  const L = new Layout();
  L.row('Workers');
  L.add(
    stat({
      title: 'Worker up',
      description: 'Prometheus scrape of each worker\'s /metrics (job = worker name).',
      targets: [prom('up{job=~"$worker"}', '{{job}}')],
      mappings: [{ type: 'value', options: { 0: { text: 'DOWN', color: RED, index: 0 }, 1: { text: 'UP', color: GREEN, index: 1 } } }],
      steps: [{ value: null, color: RED }, { value: 1, color: GREEN }],
    }),
    8,
    5,
  );
  L.add(
    stat({
      title: 'Firing alerts',
      targets: [prom('count(ALERTS{alertstate="firing"}) or vector(0)')],
      steps: [{ value: null, color: GREEN }, { value: 1, color: RED }],
    }),
    4,
    5,
  );
  L.add(
    table({
      title: 'Firing alerts',
      description: 'Alerts Prometheus currently fires (rules: infra/prometheus/rules).',
      targets: [promTable('ALERTS{alertstate="firing"}')],
      exclude: ['Time', '__name__', 'Value', 'alertstate'],
    }),
    12,
    5,
  );

  L.row('Throughput');
  L.add(
    timeseries({
      title: 'Events per second by topic and result',
      description: 'cx_events_total: accepted, duplicate (event_id already accepted on the topic) and rejected (to the DLQ), per consuming worker.',
      targets: [prom('sum by (worker, topic, result) (rate(cx_events_total{worker=~"$worker"}[1m]))', '{{worker}} {{topic}} {{result}}')],
      unit: 'reqps',
    }),
    12,
    8,
  );
  L.add(
    timeseries({
      title: 'Duplicate and rejected share',
      targets: [
        prom(
          'sum by (worker, topic, result) (rate(cx_events_total{worker=~"$worker",result=~"duplicate|rejected"}[5m])) / ignoring(result) group_left sum by (worker, topic) (rate(cx_events_total{worker=~"$worker"}[5m]))',
          '{{worker}} {{topic}} {{result}}',
        ),
      ],
      unit: 'percentunit',
      min: 0,
    }),
    6,
    8,
  );
  L.add(
    timeseries({
      title: 'Signals per second',
      targets: [prom('sum by (kind) (rate(cx_signals_total{worker="detector"}[1m]))', '{{kind}}')],
      unit: 'reqps',
    }),
    6,
    8,
  );

  L.row('Lag');
  L.add(
    timeseries({
      title: 'Consumer lag by topic',
      description: 'Records not yet consumed, summed over partitions. Alerts: ConsumerLagGrowing (rising 10m and > 1000), ConsumerLagHigh (> 50 000 for 10m).',
      targets: [prom('sum by (worker, topic) (cx_consumer_lag{worker=~"$worker"})', '{{worker}} {{topic}}')],
      steps: [{ value: null, color: GREEN }, { value: 50000, color: RED }],
      thresholdLines: true,
    }),
    8,
    8,
  );
  L.add(
    timeseries({
      title: 'Consumer lag by partition',
      description: 'An uneven spread points at a hot key or a stuck member.',
      targets: [prom('max by (worker, topic, partition) (cx_consumer_lag{worker=~"$worker"})', '{{worker}} {{topic}}[{{partition}}]')],
    }),
    8,
    8,
  );
  L.add(
    timeseries({
      title: 'Processing lag p50 / p95 (event time to processed)',
      description: 'Includes the reorder buffer\'s allowed lateness. Alert ProcessingLagHigh: p95 > 10m for 10m.',
      targets: [
        prom(histogramQuantile(0.5, 'cx_processing_lag_seconds'), '{{worker}} p50'),
        prom(histogramQuantile(0.95, 'cx_processing_lag_seconds'), '{{worker}} p95'),
      ],
      unit: 's',
      steps: [{ value: null, color: GREEN }, { value: 600, color: RED }],
      thresholdLines: true,
    }),
    8,
    8,
  );
  L.add(
    timeseries({
      title: 'Late events per second',
      description: 'Records that arrived behind the watermark by more than the allowed lateness.',
      targets: [prom('sum by (worker, topic) (rate(cx_late_events_total{worker=~"$worker"}[5m]))', '{{worker}} {{topic}}')],
      unit: 'reqps',
    }),
    8,
    8,
  );

  L.row('Errors and batches');
  L.add(
    timeseries({
      title: 'DLQ records per second by reason',
      description: 'Rejected records sent to cx.dlq.v1. Alert DlqRateHigh: > 0.1/s per reason for 5m.',
      targets: [prom('sum by (topic, reason) (rate(cx_dlq_total{worker=~"$worker"}[5m]))', '{{topic}} {{reason}}')],
      unit: 'reqps',
      steps: [{ value: null, color: GREEN }, { value: 0.1, color: RED }],
      thresholdLines: true,
    }),
    8,
    8,
  );
  L.add(
    timeseries({
      title: 'Batch duration p50 / p99',
      description: 'decode, validate, engine, store round trip, produce, commit. Alert BatchDurationHigh: p99 > 5s for 10m.',
      targets: [
        prom(histogramQuantile(0.5, 'cx_batch_duration_seconds'), '{{worker}} p50'),
        prom(histogramQuantile(0.99, 'cx_batch_duration_seconds'), '{{worker}} p99'),
      ],
      unit: 's',
      steps: [{ value: null, color: GREEN }, { value: 5, color: RED }],
      thresholdLines: true,
    }),
    8,
    8,
  );
  L.add(
    timeseries({
      title: 'Batches per second',
      targets: [prom('sum by (worker) (rate(cx_batch_duration_seconds_count{worker=~"$worker"}[1m]))', '{{worker}}')],
      unit: 'reqps',
    }),
    8,
    8,
  );

  L.row('Processes');
  L.add(
    timeseries({
      title: 'CPU',
      targets: [prom('rate(process_cpu_seconds_total{job=~"$worker"}[1m])', '{{job}}')],
      unit: 'percentunit',
    }),
    8,
    7,
  );
  L.add(
    timeseries({
      title: 'Resident memory',
      targets: [prom('process_resident_memory_bytes{job=~"$worker"}', '{{job}}')],
      unit: 'bytes',
    }),
    8,
    7,
  );
  L.add(
    timeseries({
      title: 'Event loop lag p99',
      targets: [prom('nodejs_eventloop_lag_p99_seconds{job=~"$worker"}', '{{job}}')],
      unit: 's',
    }),
    8,
    7,
  );
  L.newline();

  return dashboard({
    uid: 'cxg-pipeline-health',
    title: 'cx-gainshare / Pipeline health',
    description: 'Throughput, consumer lag, DLQ, processing lag and batch durations of the detector, kpi and accruals workers.',
    tags: ['pipeline'],
    panels: L.panels,
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

function finance() {
  const L = new Layout();
  L.row('Month to date (latest month with lines, per contract)');
  L.add(
    barchart({
      title: 'Month to date per contract: final and provisional',
      description: 'Amount of the latest month per contract, split by line status. Provisional lines become final once the watermark passes the end of their day plus the allowed lateness.',
      targets: [
        sql(`
SELECT
  contract_id,
  sumIf(toInt128(amount_cents), status = 'final') / 100 AS final,
  sumIf(toInt128(amount_cents), status = 'provisional') / 100 AS provisional
FROM accrual_lines FINAL
WHERE ${LATEST_MONTH_LINES}
GROUP BY contract_id
ORDER BY contract_id`),
      ],
      unit: 'currencyEUR',
      xField: 'contract_id',
      stack: true,
    }),
    10,
    8,
  );
  L.add(
    table({
      title: 'Month to date per contract and line type',
      datasource: CH,
      targets: [
        sql(`
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
ORDER BY contract_id, line_type`),
      ],
      overrides: [{ matcher: { id: 'byName', options: 'amount' }, properties: [{ id: 'unit', value: 'currencyEUR' }] }],
    }),
    14,
    8,
  );
  L.add(
    timeseries({
      title: 'Daily accruals by line type (last 31 days with lines)',
      datasource: CH,
      targets: [
        sql(
          `
SELECT
  toDateTime(date) AS time,
  line_type,
  sum(toInt128(amount_cents)) / 100 AS amount
FROM accrual_daily
WHERE date > (SELECT max(date) FROM accrual_daily) - 31
GROUP BY time, line_type
ORDER BY time, line_type`,
          { timeseries: true },
        ),
      ],
      unit: 'currencyEUR',
      bars: true,
      stack: true,
    }),
    12,
    8,
  );
  L.add(
    timeseries({
      title: 'Avoided contacts per day (gainshare quantity)',
      description: 'gainshare_repeat: repeat baseline x answered - repeats; gainshare_switch: switch baseline x failed journeys - switches (docs/accruals.md).',
      datasource: CH,
      targets: [
        sql(
          `
SELECT
  toDateTime(date) AS time,
  concat(contract_id, ' ', line_type) AS series,
  sum(quantity) AS avoided
FROM accrual_daily
WHERE line_type IN ('gainshare_repeat', 'gainshare_switch')
  AND date > (SELECT max(date) FROM accrual_daily) - 31
GROUP BY time, series
ORDER BY time, series`,
          { timeseries: true },
        ),
      ],
      bars: true,
    }),
    12,
    8,
  );

  L.row('By month');
  L.add(
    timeseries({
      title: 'Accruals by month and provider',
      datasource: CH,
      targets: [
        sql(
          `
SELECT
  toDateTime(month) AS time,
  provider_id,
  sum(toInt128(amount_cents)) / 100 AS amount
FROM accrual_monthly_statement
GROUP BY time, provider_id
ORDER BY time, provider_id`,
          { timeseries: true },
        ),
      ],
      unit: 'currencyEUR',
      bars: true,
      stack: true,
    }),
    12,
    8,
  );
  L.add(
    timeseries({
      title: 'Accruals by month and line type',
      datasource: CH,
      targets: [
        sql(
          `
SELECT
  toDateTime(month) AS time,
  line_type,
  sum(toInt128(amount_cents)) / 100 AS amount
FROM accrual_monthly_statement
GROUP BY time, line_type
ORDER BY time, line_type`,
          { timeseries: true },
        ),
      ],
      unit: 'currencyEUR',
      bars: true,
      stack: true,
    }),
    12,
    8,
  );
  L.add(
    table({
      title: 'Monthly statement (month, provider, contract, line type)',
      description: 'final = every line of the month is final and the month is closed; month-close lines (cap, quality gate, malus) are dated the month\'s last day inside validity.',
      datasource: CH,
      targets: [
        sql(`
SELECT
  month,
  provider_id,
  contract_id,
  line_type,
  sum(toInt128(amount_cents)) / 100 AS amount,
  min(toUInt8(final)) = 1 AS final
FROM accrual_monthly_statement
GROUP BY month, provider_id, contract_id, line_type
ORDER BY month DESC, provider_id, contract_id, line_type`),
      ],
      overrides: [{ matcher: { id: 'byName', options: 'amount' }, properties: [{ id: 'unit', value: 'currencyEUR' }] }],
    }),
    14,
    10,
  );
  L.add(
    table({
      title: 'Month-close adjustments',
      description: 'gainshare_cap, gainshare_quality_gate, customer_fee_malus, customer_floor_malus (docs/accruals.md).',
      datasource: CH,
      targets: [
        sql(`
SELECT
  month,
  contract_id,
  line_type,
  sum(toInt128(amount_cents)) / 100 AS amount
FROM accrual_monthly_statement
WHERE line_type IN ${CLOSE_LINES}
GROUP BY month, contract_id, line_type
ORDER BY month DESC, contract_id, line_type`),
      ],
      overrides: [{ matcher: { id: 'byName', options: 'amount' }, properties: [{ id: 'unit', value: 'currencyEUR' }] }],
    }),
    10,
    10,
  );

  L.row('Provisional and final');
  L.add(
    table({
      title: 'Lines by month, contract and status',
      description: 'How much of each month is still provisional (may change when late events re-rate a day) and how much is final.',
      datasource: CH,
      targets: [
        sql(`
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
ORDER BY month DESC, contract_id, status`),
      ],
      overrides: [{ matcher: { id: 'byName', options: 'amount' }, properties: [{ id: 'unit', value: 'currencyEUR' }] }],
    }),
    14,
    8,
  );
  L.add(
    table({
      title: 'Latest written lines',
      description: 'The 50 ledger lines written last (highest version: a re-rated day replaces its lines with a higher version).',
      datasource: CH,
      targets: [
        sql(`
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
LIMIT 50`),
      ],
      overrides: [{ matcher: { id: 'byName', options: 'amount' }, properties: [{ id: 'unit', value: 'currencyEUR' }] }],
    }),
    10,
    8,
  );

  L.row('Live (accruals worker)');
  L.add(
    timeseries({
      title: 'Month to date per contract (live gauge)',
      description: 'cx_accrual_cents from the accruals worker, between ledger reads.',
      targets: [prom('sum by (contract) (cx_accrual_cents) / 100', '{{contract}}')],
      unit: 'currencyEUR',
    }),
    12,
    7,
  );
  L.add(
    timeseries({
      title: 'Month to date by line type (live gauge)',
      targets: [prom('sum by (line_type) (cx_accrual_cents) / 100', '{{line_type}}')],
      unit: 'currencyEUR',
      stack: true,
    }),
    12,
    7,
  );
  L.newline();

  return dashboard({
    uid: 'cxg-finance',
    title: 'cx-gainshare / Finance',
    description: 'Accruals from the ClickHouse ledger: by month, provider and line type; month to date per contract; provisional and final. Amounts in the contracts\' currency (EUR in config/contracts.yaml).',
    tags: ['finance'],
    panels: L.panels,
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
