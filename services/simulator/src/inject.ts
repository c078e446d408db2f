// Adds bad and duplicate records to the clean stream. It draws from its own random stream, so the
// clean records (and their ids) are the same whatever the ratios: the faults are a pure overlay.
import { TOPICS } from '@cxg/engine';
import { makeBad } from './faults.ts';
import type { IdSource } from './ids.ts';
import type { SimConfig } from './options.ts';
import { eventTime, type SimEvent, type SimRecord } from './record.ts';
import { Rng } from './rng.ts';
import type { SimStats } from './stats.ts';
import type { Arrival } from './traffic.ts';

/** Duplicates re-send only records that arrived this recently: a producer retry, not a replay of old data. */
const DUPLICATE_HORIZON_MS = 30_000;
const RECENT = 64;
/** Of the re-sent contacts, this share carries a new event_id (reason duplicate_contact_id, docs/events.md). */
const NEW_EVENT_ID_SHARE = 0.1;

export function* withFaults(source: Iterable<Arrival>, cfg: SimConfig, ids: IdSource, stats: SimStats): Generator<SimRecord> {
  const rng = new Rng(cfg.seed, 'faults');
  // Injections follow a clean record with these probabilities, so their share of all output is the ratio.
  const cleanShare = 1 - cfg.badRatio - cfg.duplicateRatio;
  const pBad = cfg.badRatio / cleanShare;
  const pDup = cfg.duplicateRatio / cleanShare;
  const recent: Arrival[] = [];
  let injected = 0;

  const out = (record: SimRecord): SimRecord => {
    stats.records[record.topic]++;
    stats.total++;
    return record;
  };

  for (const a of source) {
    const t = eventTime(a.event);
    if (stats.firstEventMs === null || t < stats.firstEventMs) stats.firstEventMs = t;
    if (stats.lastEventMs === null || t > stats.lastEventMs) stats.lastEventMs = t;
    yield out(a.event);
    if (pBad === 0 && pDup === 0) continue;

    recent.push(a);
    if (recent.length > RECENT) recent.shift();
    const u = rng.next();
    if (u < pBad) {
      const { record, kind } = makeBad(rng, a.event, ids.injected('bad', ++injected));
      stats.bad++;
      stats.badByKind[kind] = (stats.badByKind[kind] ?? 0) + 1;
      yield out(record);
    } else if (u < pBad + pDup) {
      const fresh = recent.filter((r) => r.arrival >= a.arrival - DUPLICATE_HORIZON_MS);
      const original = rng.pick(fresh).event;
      if (original.topic === TOPICS.contacts && rng.chance(NEW_EVENT_ID_SHARE)) {
        stats.duplicateContactIds++;
        yield out(withEventId(original, ids.injected('dup', ++injected).event));
      } else {
        stats.duplicates++;
        yield out(original);
      }
    }
  }
}

function withEventId(event: SimEvent, eventId: string): SimRecord {
  return { topic: event.topic, key: event.key, value: { ...event.value, event_id: eventId } };
}
