-- The accrual ledger (docs/accruals.md). Re-rating a day writes its lines again under the same
-- accrual_id with a higher version, so FINAL (or argMax by version) shows one line per id.
-- version = the rating's clock reading in ms × 1000 + a counter, taken before the rating read
-- its facts: the surviving line is the one computed from the latest view of the facts.
-- quantity holds exactly 4 decimals; amount_cents is exact integer cents; basis is JSON.

CREATE TABLE IF NOT EXISTS accrual_lines (
    accrual_id String,
    contract_id String,
    provider_id String,
    date Date,
    line_type LowCardinality(String),
    channel Nullable(String),
    quantity Decimal(18, 4),
    amount_cents Int64,
    currency String,
    status LowCardinality(String),
    basis String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY accrual_id;

CREATE VIEW IF NOT EXISTS accrual_daily AS
SELECT contract_id, provider_id, date, line_type, channel, quantity, amount_cents, status
FROM accrual_lines FINAL;

-- month = first day of the month of the lines' (contract-local) dates; final when every line of
-- that month and type is final.
CREATE VIEW IF NOT EXISTS accrual_monthly_statement AS
SELECT contract_id, provider_id, month, line_type, amount_cents, final
FROM (
    SELECT contract_id, provider_id, toStartOfMonth(date) AS month, line_type,
           sum(l.amount_cents) AS amount_cents,
           toBool(min(l.status = 'final')) AS final
    FROM accrual_lines AS l FINAL
    GROUP BY contract_id, provider_id, month, line_type
);
