-- Every contracts file the ledger was rated under (docs/accruals.md, "Config versions"):
-- config_version is the first 16 hex digits of the SHA-256 of the file's bytes as read, text the
-- file itself, so a line's basis (`config_version`) leads back to the exact terms it was rated by.
-- Written once per version, when a worker, replay or rerate first starts with it.

CREATE TABLE IF NOT EXISTS config_versions (
    config_version String,
    file String,
    text String,
    recorded_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree
ORDER BY config_version;
