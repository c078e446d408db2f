/**
 * Stable rejection codes (docs/events.md, "Rejections"). Metrics and DLQ headers label records with them,
 * so codes are only ever added, never renamed. Listed in rule order: when a record
 * breaks several rules, the first one in this list is its reason. A new code goes where the
 * rule order puts its rule (`reserved_provider_id` right after `empty_string`), not at the end:
 * nothing stores a code's position, only its name.
 */
export const REJECT_REASONS = [
  // Kafka level: bad bytes or an unknown schema id (set by the platform, never by the engine).
  'undecodable',
  // Replay level: a line names a topic that is not an input topic.
  'unknown_topic',
  // Decoding, as an Avro decoder would refuse the value.
  'missing_field',
  'wrong_type',
  'unknown_enum',
  'unknown_field',
  // The rules of docs/events.md, in their order.
  'empty_string',
  'reserved_provider_id',
  'string_too_long',
  'malformed_intent',
  'ended_before_started',
  'span_over_24h',
  'unanswered_not_abandoned',
  'answered_but_abandoned',
  'answered_at_outside_contact',
  'csat_out_of_range',
  'csat_on_abandoned',
  'negative_sale',
  'duplicate_contact_id',
  'timestamp_before_2000',
  'timestamp_in_future',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

/** Rules that come after `duplicate_contact_id` in rule order: a known contact_id outranks them. */
export const REASONS_AFTER_DUPLICATE_CONTACT_ID: readonly RejectReason[] = ['timestamp_before_2000', 'timestamp_in_future'];
