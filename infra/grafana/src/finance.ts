// The finance board: accruals from the ClickHouse ledger (tables and views created by the ledger's
// migrations, infra/clickhouse/migrations), plus the accruals worker's live gauge.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { EUR, barchart, bars, board, columnUnits, prom, sql, stacked, table, timeseries } from './blocks.ts';

const CLOSE_LINES = "('gainshare_cap', 'gainshare_quality_gate', 'customer_fee_malus', 'customer_floor_malus')";
// the latest month each contract has lines in: "month to date" in live operation, and the last
// re-rated month in a replay (the simulator's data need not be in the wall-clock month)
const LATEST_MONTH_DAILY = '(contract_id, toStartOfMonth(date)) IN (SELECT contract_id, max(toStartOfMonth(date)) FROM accrual_daily GROUP BY contract_id)';
const LATEST_MONTH_LINES = '(contract_id, toStartOfMonth(date)) IN (SELECT contract_id, max(toStartOfMonth(date)) FROM accrual_lines FINAL GROUP BY contract_id)';
/** The finance tables' amount column, in EUR. */
const AMOUNT_EUR = { amount: EUR };

/** The monthly statement's amount per month, one series per value of `column`. */
function monthlyAmountBy(column: string): string {
  return `
SELECT
  toDateTime(month) AS time,
  ${column},
  sum(toInt128(amount_cents)) / 100 AS amount
FROM accrual_monthly_statement
GROUP BY time, ${column}
ORDER BY time, ${column}`;
}

export function finance(): Dashboard {
  const b = board({
    uid: 'cxg-finance',
    title: 'cx-gainshare / Finance',
    description:
      "Accruals from the ClickHouse ledger: by month, provider and line type; month to date per contract; provisional and final. Amounts in the contracts' currency (EUR in config/contracts.yaml).",
    tags: ['finance'],
    time: { from: 'now-13M/M', to: 'now/M' },
    refresh: '5m',
  });

  b.row('Month to date (latest month with lines, per contract)');
  b.add(
    10,
    8,
    barchart('Month to date per contract: final and provisional', 'contract_id', true)
      .unit(EUR)
      .description('Amount of the latest month per contract, split by line status. Provisional lines become final once the watermark passes the end of their day plus the allowed lateness.')
      .withTarget(
        sql(`
SELECT
  contract_id,
  sumIf(toInt128(amount_cents), status = 'final') / 100 AS final,
  sumIf(toInt128(amount_cents), status = 'provisional') / 100 AS provisional
FROM accrual_lines FINAL
WHERE ${LATEST_MONTH_LINES}
GROUP BY contract_id
ORDER BY contract_id`),
      ),
  );
  b.add(
    14,
    8,
    columnUnits(table('Month to date per contract and line type'), AMOUNT_EUR).withTarget(
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
    ),
  );
  b.add(
    12,
    8,
    stacked(bars(timeseries('Daily accruals by line type (last 31 days with lines)').unit(EUR))).withTarget(
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
        'timeseries',
      ),
    ),
  );
  b.add(
    12,
    8,
    bars(timeseries('Avoided contacts per day (gainshare quantity)'))
      .description('gainshare_repeat: repeat baseline x answered - repeats; gainshare_switch: switch baseline x failed journeys - switches (docs/accruals.md).')
      .withTarget(
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
          'timeseries',
        ),
      ),
  );

  b.row('By month');
  b.add(12, 8, stacked(bars(timeseries('Accruals by month and provider').unit(EUR))).withTarget(sql(monthlyAmountBy('provider_id'), 'timeseries')));
  b.add(12, 8, stacked(bars(timeseries('Accruals by month and line type').unit(EUR))).withTarget(sql(monthlyAmountBy('line_type'), 'timeseries')));
  b.add(
    14,
    10,
    columnUnits(table('Monthly statement (month, provider, contract, line type)'), AMOUNT_EUR)
      .description("final = every line of the month is final and the month is closed; month-close lines (cap, quality gate, malus) are dated the month's last day inside validity.")
      .withTarget(
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
      ),
  );
  b.add(
    10,
    10,
    columnUnits(table('Month-close adjustments'), AMOUNT_EUR)
      .description('gainshare_cap, gainshare_quality_gate, customer_fee_malus, customer_floor_malus (docs/accruals.md).')
      .withTarget(
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
      ),
  );

  b.row('Provisional and final');
  b.add(
    14,
    8,
    columnUnits(table('Lines by month, contract and status'), AMOUNT_EUR)
      .description('How much of each month is still provisional (may change when late events re-rate a day) and how much is final.')
      .withTarget(
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
      ),
  );
  b.add(
    10,
    8,
    columnUnits(table('Latest written lines'), AMOUNT_EUR)
      .description('The 50 ledger lines written last (highest version: a re-rated day replaces its lines with a higher version).')
      .withTarget(
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
      ),
  );

  b.row('Live (accruals worker)');
  b.add(
    12,
    7,
    timeseries('Month to date per contract (live gauge)')
      .unit(EUR)
      .description('cx_accrual_cents from the accruals worker, between ledger reads.')
      .withTarget(prom('sum by (contract) (cx_accrual_cents) / 100', '{{contract}}')),
  );
  b.add(12, 7, stacked(timeseries('Month to date by line type (live gauge)').unit(EUR)).withTarget(prom('sum by (line_type) (cx_accrual_cents) / 100', '{{line_type}}')));
  return b.build();
}
