-- Quantities and amounts are exact at any size valid input can reach (docs/accruals.md, "Big numbers"): a day's
-- Σ sale_cents is an upsell_commission quantity and has no bound, so Decimal(18, 4) (below 10^14)
-- is too narrow. Decimal(38, 4) holds up to 10^34; rating refuses anything wider by name.
-- amount_cents stays Int64: an amount beyond its range is an error naming the line, never stored.
-- Sums over many lines (a month, a dashboard) can pass Int64, where ClickHouse's sum() wraps
-- silently, so the views sum in Int128.
-- Views keep the column types they were created with, so both are dropped and created again.

ALTER TABLE accrual_lines MODIFY COLUMN quantity Decimal(38, 4);

DROP VIEW IF EXISTS accrual_daily;

CREATE VIEW accrual_daily AS
SELECT contract_id, provider_id, date, line_type, channel, quantity, amount_cents, status
FROM accrual_lines FINAL;

DROP VIEW IF EXISTS accrual_monthly_statement;

-- month = first day of the month of the lines' (contract-local) dates; final when every line of
-- that month and type is final. amount_cents is Int128: a month of in-range lines can pass Int64.
CREATE VIEW accrual_monthly_statement AS
SELECT contract_id, provider_id, month, line_type, amount_cents, final
FROM (
    SELECT contract_id, provider_id, toStartOfMonth(date) AS month, line_type,
           sum(toInt128(l.amount_cents)) AS amount_cents,
           toBool(min(l.status = 'final')) AS final
    FROM accrual_lines AS l FINAL
    GROUP BY contract_id, provider_id, month, line_type
);
