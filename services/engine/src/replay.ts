/**
 * The pure core of `cxg replay` for signals (docs/replay.md): validate, judge duplicates in
 * input order, then detect over the accepted events sorted by (event time, started_at,
 * event_id), which is the order-independent result streaming must reproduce.
 */
import type { JourneySignal } from './events.generated.ts';
import { compareCodePoints } from './codepoint.ts';
import { InMemoryDedupeStore, judge } from './dedupe.ts';
import type { DetectionSettings } from './detect.ts';
import { InMemoryTimelineStore, detectInOrder } from './detect-run.ts';
import { compareEventsByOrder, eventTimeOf } from './order.ts';
import type { RejectReason } from './reject.ts';
import { INPUT_TOPICS, type InputTopic } from './topics.ts';
import { validateEvent, type InputEvent } from './validate.ts';

export interface ReplayRecord {
  /** 1-based physical line in the input, counted across files. */
  line: number;
  topic: string;
  value: unknown;
}

export interface ReplayRejection {
  line: number;
  /** The record's event_id when it is a non-empty string, even if the record is otherwise unreadable. */
  event_id: string | null;
  reason: RejectReason;
}

export interface ReplayOptions {
  /** Wall clock for the "more than 24 h in the future" rule. */
  nowMs: number;
  settings?: DetectionSettings;
  /** Safety bound per customer timeline (see `pruneTimeline`), the same default as the detector's. */
  maxTimelineEntries?: number;
}

export interface ReplayResult {
  /** Ordered by contact_ended_at, then contact_event_id (code points). */
  signals: JourneySignal[];
  /** In input order. */
  rejected: ReplayRejection[];
  duplicates: number;
  /** Accepted events in processing order, for the later (KPI, accrual) stages. */
  accepted: InputEvent[];
  /**
   * When each accepted event arrived: the greatest event time accepted up to and including it,
   * in input order (what the accruals worker stamps on a fact; late facts become adjustments).
   */
  arrivedMs: ReadonlyMap<InputEvent, number>;
  /** Greatest event time of the accepted events, null when none was accepted. */
  watermarkMs: number | null;
  /** Timeline entries the safety bound dropped (0 unless a customer floods past it). */
  timelineTruncated: number;
}

function isInputTopic(topic: string): topic is InputTopic {
  return (INPUT_TOPICS as readonly string[]).includes(topic);
}

function readableEventId(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const id = (value as Record<string, unknown>).event_id;
  return typeof id === 'string' && id !== '' ? id : null;
}

export function compareSignals(a: JourneySignal, b: JourneySignal): number {
  return a.contact_ended_at - b.contact_ended_at || compareCodePoints(a.contact_event_id, b.contact_event_id);
}

export function replay(records: readonly ReplayRecord[], options: ReplayOptions): ReplayResult {
  const dedupe = new InMemoryDedupeStore();
  const rejected: ReplayRejection[] = [];
  const accepted: InputEvent[] = [];
  const arrivedMs = new Map<InputEvent, number>();
  let watermark = -Infinity;
  let duplicates = 0;
  for (const { line, topic, value } of records) {
    if (!isInputTopic(topic)) {
      rejected.push({ line, event_id: readableEventId(value), reason: 'unknown_topic' });
      continue;
    }
    const verdict = judge(topic, validateEvent(topic, value, options.nowMs), dedupe);
    if (verdict.result === 'accepted') {
      dedupe.remember(topic, verdict.event);
      accepted.push(verdict.event);
      watermark = Math.max(watermark, eventTimeOf(verdict.event));
      arrivedMs.set(verdict.event, watermark);
    } else if (verdict.result === 'duplicate') {
      duplicates++;
    } else {
      rejected.push({ line, event_id: verdict.event?.event_id ?? readableEventId(value), reason: verdict.reason });
    }
  }
  accepted.sort(compareEventsByOrder);
  let timelineTruncated = 0;
  const signals = detectInOrder(accepted, new InMemoryTimelineStore(), {
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    ...(options.maxTimelineEntries === undefined ? {} : { maxTimelineEntries: options.maxTimelineEntries }),
    onTruncated: (_customer, dropped) => (timelineTruncated += dropped),
  }).sort(compareSignals);
  const last = accepted.at(-1);
  return { signals, rejected, duplicates, accepted, arrivedMs, watermarkMs: last === undefined ? null : eventTimeOf(last), timelineTruncated };
}
