-- Durable worker state, one row per name: `watermark_ms` is the greatest event time of the
-- accepted records processed (docs/accruals.md). version = the value, so a stale writer can never
-- move it back.
CREATE TABLE IF NOT EXISTS accrual_state (
    name String,
    value Int64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY name;
