-- Adjustments instead of restatement (docs/accruals.md, "Adjustments").
--
-- arrived_ms: the watermark right after the fact was accepted (the greatest event time accepted
-- up to and including it; for a signal, that of its contact or later). A fact is late for a day
-- D when it arrived at or after end(D) + allowed lateness, the instant D's lines turned final;
-- rating keeps such facts out of D's line and books their effect as an adjustment dated the day
-- they arrived. Rows from before this migration read 0: on time, so existing ledgers rate alike.
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS arrived_ms Int64 DEFAULT 0;
ALTER TABLE journeys ADD COLUMN IF NOT EXISTS arrived_ms Int64 DEFAULT 0;
ALTER TABLE customer_events ADD COLUMN IF NOT EXISTS arrived_ms Int64 DEFAULT 0;
ALTER TABLE signals ADD COLUMN IF NOT EXISTS arrived_ms Int64 DEFAULT 0;

-- One row per (line, booking day, cause): adjustment_id = `<accrual_id>@<booked_on>:<cause>`.
-- A re-rating writes a row again under a higher version only while it is open: final_at_ms (the
-- end of booked_on plus the allowed lateness) not yet reached by the watermark the ledger was last
-- rated at; a final row is never rewritten.
-- quantity_delta and amount_delta_cents are what the row adds to the line it refers to.
CREATE TABLE IF NOT EXISTS accrual_adjustments (
    adjustment_id String,
    accrual_id String,
    contract_id String,
    provider_id String,
    service_date Date,
    line_type LowCardinality(String),
    channel Nullable(String),
    booked_on Date,
    quantity_delta Decimal(38, 4),
    amount_delta_cents Int64,
    currency String,
    cause LowCardinality(String),
    evidence String,
    config_version String,
    final_at_ms Int64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY adjustment_id;
