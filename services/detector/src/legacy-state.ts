/**
 * A customer's state as versions before the one-string form (state-codec.ts) kept it: a hash of
 * duplicate markers beside a timeline string (entry-codec.ts) or, before that, a sorted set of
 * JSON entries. Read while the customer has no state string yet; the first write of its state
 * deletes the old keys. The marker hash's fields were a tag byte and the 64-bit hash of the id
 * (big-endian, platform's id-hash.ts):
 *
 *   c<h64(event_id)>   → "<partition>:<offset>"  a contact accepted at that position
 *   w<h64(event_id)>   → "<partition>:<offset>"  a web journey accepted there
 *   i<h64(contact_id)> → h64(owner's event_id)   who owns the contact_id
 *
 * and before that whole ids: `<topic>|<event_id>` → position, `cid|<contact_id>` → event_id.
 */
import { TOPICS } from '@cxg/engine';
import { CustomerState, contactIdKey, eventKey, type Position } from './customer-state.ts';
import { decodeTimeline } from './entry-codec.ts';

/** What the read script returns of the old keys: the marker hash (fields and values alternating), the timeline, the sorted set's members. */
export interface LegacyKeys {
  markers: readonly Buffer[];
  timeline: Buffer | null;
  sortedSet: readonly Buffer[];
}

function positionOf(value: Buffer): Position | undefined {
  const m = /^(\d+):(\d+)$/.exec(value.toString('latin1'));
  return m ? { partition: Number(m[1]), offset: Number(m[2]) } : undefined;
}

const LEGACY_EVENT: Record<string, 'contact' | 'journey'> = { [TOPICS.contacts]: 'contact', [TOPICS.web]: 'journey' };

/** Whether a field of the old marker hash holds a position (an event's marker) rather than a contact_id's owner. */
export function legacyFieldHoldsPosition(field: Buffer): boolean {
  if (field.toString('latin1', 0, 4) === 'cid|') return false;
  return field.length !== 9 || field[0] === 0x63 /* c */ || field[0] === 0x77 /* w */;
}

export function stateFromLegacy(customer: string, old: LegacyKeys): CustomerState {
  const state = new CustomerState();
  const { markers } = old;
  for (let i = 0; i + 1 < markers.length; i += 2) {
    const field = markers[i]!;
    const value = markers[i + 1]!;
    const text = field.toString('latin1');
    // `cid|` first: a compact field may be 9 bytes starting with `c` too
    if (text.startsWith('cid|')) {
      state.contactIds.set(contactIdKey(field.toString('utf8', 4)), eventKey('contact', value.toString()));
    } else if (field.length === 9 && (text[0] === 'c' || text[0] === 'w')) {
      const at = positionOf(value);
      if (at) state.events.set(text[0] + field.toString('hex', 1), at);
    } else if (field.length === 9 && text[0] === 'i') {
      state.contactIds.set(field.toString('hex', 1), `c${value.toString('hex')}`);
    } else {
      const bar = text.indexOf('|');
      const kind = LEGACY_EVENT[text.slice(0, bar)];
      const at = positionOf(value);
      if (kind && at) state.events.set(eventKey(kind, field.toString('utf8', bar + 1)), at);
    }
  }
  const timeline = old.timeline ?? (old.sortedSet.length > 0 ? Buffer.from(`[${old.sortedSet.join(',')}]`) : null);
  const { entries, priors } = decodeTimeline(customer, timeline);
  state.entries = entries;
  for (const [id, p] of priors) state.priors.set(id, p);
  return state;
}
