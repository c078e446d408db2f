// The pipeline-health board: throughput, consumer lag, DLQ, processing lag and batch durations of
// the detector, kpi and accruals workers (Prometheus; the metrics of services/platform/src/metrics.ts).
import { TableSortByFieldStateBuilder } from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import type { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { ANY_RED, GREEN, RED, bands, board, bounds, customVar, organize, prom, promTable, stat, table, thresholds, timeseries, valueMap } from './blocks.ts';

function histogramQuantile(q: number, metric: string, window = '5m'): string {
  return `histogram_quantile(${q}, sum by (worker, le) (rate(${metric}_bucket{worker=~"$worker"}[${window}])))`;
}

/** A latency panel's queries: one quantile series per worker and quantile, e.g. "kpi p95". */
function quantiles(panel: TimeseriesBuilder, metric: string, ...qs: number[]): TimeseriesBuilder {
  for (const q of qs) panel.withTarget(prom(histogramQuantile(q, metric), `{{worker}} p${Math.round(q * 100)}`));
  return panel;
}

/**
 * Lag per partition with the group member that owns it: cx_consumer_lag joined with
 * cx_consumer_assignment of the same process (a partition a member gave up leaves both).
 */
export const LAG_BY_OWNER =
  'cx_consumer_lag{worker=~"$worker"} * on (worker, instance, topic, partition) group_left (member) cx_consumer_assignment{worker=~"$worker"}';

/** Records dead-lettered in the dashboard's time range per topic and reason, with the command that lists them. */
export const DLQ_BY_REASON =
  'label_replace(round(sum by (topic, reason) (increase(cx_dlq_total{worker=~"$worker"}[$__range]))) > 0, "inspect", "cxg dlq list --reason $1", "reason", "(.+)")';

/** A table of one instant query, its value column named `value` and sorted largest first, `exclude` hidden. */
function ranked(title: string, expr: string, value: string, exclude: string[], description: string[]): TableBuilder {
  const panel = table(title)
    .description(description.join(' '))
    .withTarget(promTable(expr))
    .sortBy([new TableSortByFieldStateBuilder().displayName(value).desc(true)]);
  return organize(panel, exclude, { Value: value });
}

export function pipelineHealth(): Dashboard {
  const b = board({
    uid: 'cxg-pipeline-health',
    title: 'cx-gainshare / Pipeline health',
    description: 'Throughput, consumer lag and its owners, DLQ, processing lag and batch durations of the detector, kpi and accruals workers.',
    tags: ['pipeline'],
    time: { from: 'now-3h', to: 'now' },
  });
  b.dashboard.withVariable(customVar('worker', 'Worker', ['detector', 'kpi', 'accruals'], { allValue: 'detector|kpi|accruals' }));

  b.row('Workers');
  b.add(
    8,
    5,
    stat('Worker up')
      .description("Prometheus scrape of each worker's /metrics (job = worker name).")
      .withTarget(prom('up{job=~"$worker"}', '{{job}}'))
      .mappings(valueMap(['DOWN', RED], ['UP', GREEN]))
      .thresholds(thresholds(bands(RED, 1, GREEN))),
  );
  b.add(4, 5, stat('Firing alerts').withTarget(prom('count(ALERTS{alertstate="firing"}) or vector(0)')).thresholds(thresholds(ANY_RED())));
  b.add(
    12,
    5,
    organize(
      table('Firing alerts').description('Alerts Prometheus currently fires (rules: infra/prometheus/rules).').withTarget(promTable('ALERTS{alertstate="firing"}')),
      ['Time', '__name__', 'Value', 'alertstate'],
    ),
  );

  b.row('Throughput');
  b.add(
    12,
    8,
    timeseries('Events per second by topic and result')
      .unit('reqps')
      .description('cx_events_total: accepted, duplicate (event_id already accepted on the topic) and rejected (to the DLQ), per consuming worker.')
      .withTarget(prom('sum by (worker, topic, result) (rate(cx_events_total{worker=~"$worker"}[1m]))', '{{worker}} {{topic}} {{result}}')),
  );
  b.add(
    6,
    8,
    timeseries('Duplicate and rejected share')
      .unit('percentunit')
      .min(0)
      .withTarget(
        prom(
          'sum by (worker, topic, result) (rate(cx_events_total{worker=~"$worker",result=~"duplicate|rejected"}[5m])) / ignoring(result) group_left sum by (worker, topic) (rate(cx_events_total{worker=~"$worker"}[5m]))',
          '{{worker}} {{topic}} {{result}}',
        ),
      ),
  );
  b.add(6, 8, timeseries('Signals per second').unit('reqps').withTarget(prom('sum by (kind) (rate(cx_signals_total{worker="detector"}[1m]))', '{{kind}}')));

  b.row('Lag');
  b.add(
    8,
    8,
    bounds(
      timeseries('Consumer lag by topic')
        .description('Records not yet consumed, summed over partitions. Alerts: ConsumerLagGrowing (rising 10m and > 1000), ConsumerLagHigh (> 50 000 for 10m).')
        .withTarget(prom('sum by (worker, topic) (cx_consumer_lag{worker=~"$worker"})', '{{worker}} {{topic}}')),
      bands(GREEN, 50000, RED),
    ),
  );
  b.add(
    8,
    8,
    timeseries('Consumer lag by partition')
      .description('An uneven spread points at a hot key or a stuck member.')
      .withTarget(prom('max by (worker, topic, partition) (cx_consumer_lag{worker=~"$worker"})', '{{worker}} {{topic}}[{{partition}}]')),
  );
  b.add(
    8,
    8,
    quantiles(
      bounds(
        timeseries('Processing lag p50 / p95 (event time to processed)')
          .unit('s')
          .description("Includes the reorder buffer's allowed lateness. Alert ProcessingLagHigh: p95 > 10m for 10m."),
        bands(GREEN, 600, RED),
      ),
      'cx_processing_lag_seconds',
      0.5,
      0.95,
    ),
  );
  b.add(
    8,
    8,
    timeseries('Late events per second')
      .unit('reqps')
      .description('Records that arrived behind the watermark by more than the allowed lateness.')
      .withTarget(prom('sum by (worker, topic) (rate(cx_late_events_total{worker=~"$worker"}[5m]))', '{{worker}} {{topic}}')),
  );
  b.add(
    16,
    8,
    ranked('Consumer lag per partition and owner', LAG_BY_OWNER, 'lag', ['Time', '__name__', 'job'], [
      'Now, per worker, topic and partition: the records not yet consumed and the consumer group member that owns the partition',
      '(member: its Kafka member id, as `kafka-consumer-groups --describe` shows it; instance: the process Prometheus scrapes).',
      'A partition appears once its owner has read a batch from it since the last rebalance; a member that gave a partition up stops reporting it.',
      'A lag that only grows on one member points at that process (its /readyz, its logs).',
    ]),
  );

  b.row('Errors and batches');
  b.add(
    8,
    8,
    bounds(
      timeseries('DLQ records per second by reason')
        .unit('reqps')
        .description('Rejected records sent to cx.dlq.v1. Alert DlqRateHigh: > 0.1/s per reason for 5m.')
        .withTarget(prom('sum by (topic, reason) (rate(cx_dlq_total{worker=~"$worker"}[5m]))', '{{topic}} {{reason}}')),
      bands(GREEN, 0.1, RED),
    ),
  );
  b.add(
    8,
    8,
    quantiles(
      bounds(
        timeseries('Batch duration p50 / p99').unit('s').description('decode, validate, engine, store round trip, produce, commit. Alert BatchDurationHigh: p99 > 5s for 10m.'),
        bands(GREEN, 5, RED),
      ),
      'cx_batch_duration_seconds',
      0.5,
      0.99,
    ),
  );
  b.add(8, 8, timeseries('Batches per second').unit('reqps').withTarget(prom('sum by (worker) (rate(cx_batch_duration_seconds_count{worker=~"$worker"}[1m]))', '{{worker}}')));
  b.add(
    24,
    7,
    ranked('DLQ records by reason (time range)', DLQ_BY_REASON, 'records', ['Time'], [
      'Records dead-lettered to cx.dlq.v1 in the selected time range, per source topic and reason (every reason: docs/events.md, "Rejections").',
      'To see the records themselves run the command of the inspect column, `cxg dlq list --reason REASON`,',
      'with `--since 2h` (a duration back from now, or an ISO date-time) for the recent ones and `--json` for machine-readable output;',
      'after a fix, `cxg dlq replay --reason REASON` sends those valid now back to their topic, once each',
      '(docs/events.md, "Inspecting and replaying the DLQ").',
    ]),
  );

  b.row('Processes');
  b.add(8, 7, timeseries('CPU').unit('percentunit').withTarget(prom('rate(process_cpu_seconds_total{job=~"$worker"}[1m])', '{{job}}')));
  b.add(8, 7, timeseries('Resident memory').unit('bytes').withTarget(prom('process_resident_memory_bytes{job=~"$worker"}', '{{job}}')));
  b.add(8, 7, timeseries('Event loop lag p99').unit('s').withTarget(prom('nodejs_eventloop_lag_p99_seconds{job=~"$worker"}', '{{job}}')));
  return b.build();
}
