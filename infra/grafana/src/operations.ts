// The operations board: live KPIs per provider against their contract thresholds, open breaches,
// alert states, volumes and signals (Prometheus; the kpi worker's gauges, docs/kpis.md).
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { BigValueTextMode } from '@grafana/grafana-foundation-sdk/common';
import {
  ANY_RED,
  GREEN,
  ORANGE,
  RED,
  SHARE,
  bands,
  board,
  bounds,
  customVar,
  organize,
  prom,
  promTable,
  queryVar,
  stat,
  stateTimeline,
  table,
  thresholds,
  timeseries,
  valueMap,
  withAxis,
  type Board,
} from './blocks.ts';
import { KPIS, boundSteps, contractBounds, describeBound, kpiExpr, type ContractBounds, type ContractsYaml } from './kpis.ts';

/**
 * Alert state per provider: 2 while one of its alerts fires, 1 while one is pending (its `for`
 * has not passed yet), else 0 for every provider with a contract threshold (cx_kpi_breached).
 */
export const ALERT_STATE =
  'max by (provider) (2 * ALERTS{alertstate="firing",provider=~"$provider"} or ALERTS{alertstate="pending",provider=~"$provider"})' +
  ' or max by (provider) (0 * cx_kpi_breached{provider=~"$provider"})';

/** A volume: the sample (denominator) of `kpi` in the selected window, per provider. */
function sampleOf(title: string, kpi: string, what: string) {
  return timeseries(title)
    .description(`${what} (the sample of ${kpi}).`)
    .withTarget(prom(`cx_kpi_sample{provider=~"$provider",kpi="${kpi}",window="$window"}`, '{{provider}}'));
}

/** The row of one contract: its open breaches, then each KPI with a bound drawn against its bounds. */
function contractRow(b: Board, c: ContractBounds, configFile: string): void {
  b.row(`${c.provider}: contract ${c.contract} (${c.validFrom} .. ${c.validTo}), thresholds from the contracts config`);
  b.add(3, 7, stat(`Open breaches ${c.provider}`).withTarget(prom(`count(cx_kpi_breached{provider="${c.provider}",contract="${c.contract}"} == 1) or vector(0)`)).thresholds(thresholds(ANY_RED())));
  if (c.byKpi.size === 0) {
    b.add(
      6,
      7,
      stat(`${c.provider}: no KPI bounds`)
        .description('This contract has no kpi_thresholds and no quality gates; its KPIs are on the comparison row above.')
        .textMode(BigValueTextMode.Name)
        .withTarget(prom(`count(cx_kpi{provider="${c.provider}"})`)),
    );
  }
  for (const [kpi, kpiBounds] of c.byKpi) {
    const meta = KPIS[kpi];
    if (!meta) throw new Error(`${configFile}: contract ${c.contract}: unknown KPI ${kpi}`);
    const alertWindows = [...new Set(kpiBounds.filter((x) => x.kind === 'alert').map((x) => x.window!))];
    // an alert threshold is judged on its own window; a monthly gate is closest to the 7d window
    const windows = alertWindows.length ? alertWindows : ['7d'];
    const panel = withAxis(timeseries(`${c.provider} ${kpi} (${windows.join(', ')})`), meta).description([`${meta.help}.`, ...kpiBounds.map(describeBound)].join('\n'));
    for (const w of windows) panel.withTarget(prom(kpiExpr(`provider="${c.provider}",kpi="${kpi}",window="${w}"`, kpi), `${c.provider} ${kpi} {{window}}`));
    b.add(7, 7, bounds(panel, boundSteps(kpiBounds, meta.scale ?? 1)));
  }
}

export function operations(config: ContractsYaml, configFile: string): Dashboard {
  const b = board({
    uid: 'cxg-operations',
    title: 'cx-gainshare / Operations',
    description: 'Live KPIs per provider against their contract thresholds, open breaches, alert states, volumes and signals.',
    tags: ['operations'],
  });
  b.dashboard.variables([
    queryVar('provider', 'Provider', 'label_values(cx_kpi, provider)'),
    customVar('window', 'Window', ['1h', '24h', '7d'], '24h'),
    queryVar('family', 'Intent family', 'label_values(cx_web_kpi, family)'),
  ]);

  b.row('Open breaches and volume ($window)');
  b.add(
    4,
    8,
    stat('Open KPI breaches')
      .description('Provider, KPI and window combinations the kpi worker currently reports as breached (cx_kpi_breached == 1), for the selected providers.')
      .withTarget(prom('count(cx_kpi_breached{provider=~"$provider"} == 1) or vector(0)'))
      .thresholds(thresholds(ANY_RED())),
  );
  b.add(
    8,
    8,
    organize(
      table('Open breaches')
        .description("One row per breached provider, KPI, window and contract. Thresholds: config/contracts.yaml kpi_thresholds; the breach clears with the contract's clear_margin (hysteresis).")
        .withTarget(promTable('cx_kpi_breached{provider=~"$provider"} == 1')),
      ['Time', '__name__', 'job', 'instance', 'worker', 'Value'],
    ),
  );
  b.add(
    12,
    8,
    stateTimeline('Breach history', valueMap(['OK', GREEN], ['BREACHED', RED]), ANY_RED())
      .description('OK / BREACHED over time per provider, KPI and window.')
      .withTarget(prom('max by (provider, kpi, window) (cx_kpi_breached{provider=~"$provider"})', '{{provider}} {{kpi}} {{window}}')),
  );
  b.add(6, 7, sampleOf('Contacts offered ($window)', 'abandon_rate', 'All contacts offered in the rolling window'));
  b.add(6, 7, sampleOf('Contacts answered ($window)', 'aht_seconds', 'Answered contacts in the rolling window'));
  b.add(
    6,
    7,
    timeseries('Input events per minute')
      .description('Accepted records per minute on the input topics, counted by their first consumer (contacts and web by the detector, customers by the accruals worker).')
      .withTarget(prom('sum by (topic) (rate(cx_events_total{result="accepted",worker="detector",topic=~"cx.contacts.v1|cx.web.v1"}[5m])) * 60', '{{topic}}'))
      .withTarget(prom('sum by (topic) (rate(cx_events_total{result="accepted",worker="accruals",topic="cx.customers.v1"}[5m])) * 60', '{{topic}}')),
  );
  b.add(
    6,
    7,
    timeseries('Signals per minute')
      .description('REPEAT_CONTACT and CHANNEL_SWITCH signals the detector emits.')
      .withTarget(prom('sum by (kind) (rate(cx_signals_total{worker="detector"}[5m])) * 60', '{{kind}}')),
  );
  b.add(
    24,
    6,
    stateTimeline('Alert state per provider', valueMap(['OK', GREEN], ['PENDING', ORANGE], ['FIRING', RED]), bands(GREEN, 1, ORANGE, 2, RED))
      .description(
        [
          "Prometheus's alerts with a provider label (KpiBreached, infra/prometheus/rules/kpi.rules.yml) per provider over time:",
          'FIRING while one fires, PENDING while a breach waits out the rule\'s `for: 1m`, OK otherwise.',
          'Alertmanager routes these to the provider\'s supervisors; Breach history above is the kpi worker\'s own state, without the delay.',
        ].join(' '),
      )
      .withTarget(prom(ALERT_STATE, '{{provider}}')),
  );

  b.row('KPIs of the selected providers ($window)');
  for (const [kpi, meta] of Object.entries(KPIS)) {
    b.add(
      8,
      7,
      withAxis(timeseries(`${meta.title} (${kpi})`), meta)
        .description(`${meta.help}. Rolling window $window of event time; provider "all" is every provider together.`)
        .withTarget(prom(kpiExpr('provider=~"$provider",kpi="' + kpi + '",window="$window"', kpi), '{{provider}}')),
    );
  }

  for (const c of contractBounds(config)) contractRow(b, c, configFile);

  b.row('Self-service (web journeys, $window)');
  b.add(
    12,
    7,
    withAxis(timeseries('Self-service success rate'), SHARE)
      .description('COMPLETED journeys / journeys, per intent family ("all" = every family).')
      .withTarget(prom('cx_web_kpi{family=~"$family",kpi="self_service_success_rate",window="$window"}', '{{family}}')),
  );
  b.add(
    12,
    7,
    withAxis(timeseries('Web to phone rate'), SHARE)
      .description('CHANNEL_SWITCH signals / identified journeys with a switch outcome, per intent family.')
      .withTarget(prom('cx_web_kpi{family=~"$family",kpi="web_to_phone_rate",window="$window"}', '{{family}}')),
  );
  return b.build();
}
