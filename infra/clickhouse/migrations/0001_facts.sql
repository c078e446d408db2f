-- Facts: the accepted input records and the detector's signals, one row per id.
-- A fact never changes once accepted (a later record with the same id is a duplicate and is
-- never written), so ReplacingMergeTree(version) only folds the identical re-insert of a batch
-- that was re-read after a crash. Readers use FINAL.
-- Times are DateTime64(3, 'UTC'); rating compares them with UTC epoch-ms bounds computed in
-- TypeScript, so no ClickHouse time-zone function decides a local day.
-- `source` is where the record was accepted (`<topic>/<partition>/<offset>`, or `replay:<line>`):
-- a re-read of the same position is the same delivery again, not a duplicate.

CREATE TABLE IF NOT EXISTS contacts (
    event_id String,
    contact_id String,
    customer_id String,
    provider_id LowCardinality(String),
    agent_id Nullable(String),
    channel LowCardinality(String),
    queue String,
    intent String,
    intent_family LowCardinality(String),
    started_at DateTime64(3, 'UTC'),
    answered_at Nullable(DateTime64(3, 'UTC')),
    ended_at DateTime64(3, 'UTC'),
    outcome LowCardinality(String),
    csat Nullable(UInt8),
    sale_cents Int64,
    source String,
    version UInt64,
    INDEX contacts_ended ended_at TYPE minmax GRANULARITY 1,
    INDEX contacts_contact_id contact_id TYPE bloom_filter GRANULARITY 4
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(ended_at)
ORDER BY event_id;

CREATE TABLE IF NOT EXISTS journeys (
    event_id String,
    session_id String,
    customer_id Nullable(String),
    journey String,
    journey_family LowCardinality(String),
    started_at DateTime64(3, 'UTC'),
    ended_at DateTime64(3, 'UTC'),
    outcome LowCardinality(String),
    last_step String,
    error_code Nullable(String),
    source String,
    version UInt64,
    INDEX journeys_ended ended_at TYPE minmax GRANULARITY 1
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(ended_at)
ORDER BY event_id;

CREATE TABLE IF NOT EXISTS customer_events (
    event_id String,
    customer_id String,
    provider_id LowCardinality(String),
    type LowCardinality(String),
    occurred_at DateTime64(3, 'UTC'),
    won_by_provider Bool,
    source String,
    version UInt64,
    INDEX customer_events_occurred occurred_at TYPE minmax GRANULARITY 1
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY event_id;

CREATE TABLE IF NOT EXISTS signals (
    signal_id String,
    kind LowCardinality(String),
    customer_id String,
    contact_event_id String,
    contact_id String,
    contact_provider_id LowCardinality(String),
    contact_channel LowCardinality(String),
    contact_ended_at DateTime64(3, 'UTC'),
    intent_family LowCardinality(String),
    prior_event_id String,
    prior_id String,
    prior_provider_id Nullable(String),
    prior_ended_at DateTime64(3, 'UTC'),
    gap_ms Int64,
    version UInt64,
    INDEX signals_contact_ended contact_ended_at TYPE minmax GRANULARITY 1
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(contact_ended_at)
ORDER BY signal_id;
