/**
 * How duplicate markers are stored in a customer's marker hash. Redis keeps them for every
 * customer active within the dedupe TTL (30 days), so a field is a one-byte tag and the 64-bit
 * xxHash of the id, not the id itself (ids are often 36-character UUIDs), and a contact_id's
 * owner is the hash of its event_id:
 *
 *   c<h64(event_id)>   → "<partition>:<offset>"  a contact accepted at that position
 *   w<h64(event_id)>   → "<partition>:<offset>"  a web journey accepted there
 *   i<h64(contact_id)> → h64(owner's event_id)   who owns the contact_id
 *
 * Two different ids of one customer share a hash with a probability of about n²/2^65 for n ids
 * (3·10^-16 for a hundred): markers are per customer, so only a customer's own ids can collide
 * (platform's id-hash.ts).
 *
 * Fields written before the compact form (`<topic>|<event_id>`, `cid|<contact_id>` → event_id)
 * are still read, until they expire with the dedupe TTL.
 */
import { TOPICS } from '@cxg/engine';
import { writeIdHash } from '@cxg/platform';

function hashed(tag: string, id: string): Buffer {
  const out = Buffer.allocUnsafe(9);
  out.write(tag, 0, 'latin1');
  writeIdHash(out, 1, id);
  return out;
}

/** Event ids are unique per topic: a contact's and a journey's are told apart by their tag. */
export type MarkedKind = 'contact' | 'journey';

export const markerField = {
  /** → `<partition>:<offset>` of the delivery that was accepted with this event_id. */
  event: (kind: MarkedKind, eventId: string): Buffer => hashed(kind === 'contact' ? 'c' : 'w', eventId),
  /** → the owner's `ownerValue`. */
  contactId: (contactId: string): Buffer => hashed('i', contactId),
  /** The value of a contact_id's field: its owner's event_id hashed (8 bytes), taken from the owner's `event` field. */
  ownerValue: (ownerEventField: Buffer): Buffer => ownerEventField.subarray(1),
  /** Whether a field holds a position (an event marker, compact or legacy) rather than an owner. */
  holdsPosition: (field: Buffer): boolean => {
    if (field.toString('latin1', 0, 4) === 'cid|') return false;
    return field.length !== 9 || field[0] === 0x63 /* c */ || field[0] === 0x77 /* w */;
  },
  /** Fields of the layout before the compact one. */
  legacy: {
    event: (kind: MarkedKind, eventId: string): string => `${kind === 'contact' ? TOPICS.contacts : TOPICS.web}|${eventId}`,
    contactId: (contactId: string): string => `cid|${contactId}`,
  },
};
