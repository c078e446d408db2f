// Timelines as versions before the one-string state kept them still read: the binary form (a value
// that version wrote, kept here as hex) and the JSON forms before it (positional arrays, objects).
import { describe, expect, it } from 'vitest';
import type { PriorRef, TimelineEntry } from '@cxg/engine';
import { decodeTimeline } from '../src/entry-codec.ts';

const contact: TimelineEntry = {
  kind: 'contact', event_id: 'run1-e-000123', id: 'run1-c-000123', customer_id: 'run1-cust-0042', provider_id: 'prov-a', channel: 'PHONE',
  family: 'billing', started_at: Date.UTC(2026, 10, 3, 9, 0), ended_at: Date.UTC(2026, 10, 3, 9, 7, 30),
};
const journey: TimelineEntry = {
  kind: 'journey', event_id: 'run1-e-000100', id: 'run1-s-000100', customer_id: 'run1-cust-0042', provider_id: null, channel: null,
  family: 'billing', started_at: Date.UTC(2026, 10, 3, 8, 0), ended_at: Date.UTC(2026, 10, 3, 8, 4),
};
const prior: PriorRef = { kind: 'journey', event_id: journey.event_id, id: journey.id, provider_id: null, ended_at: journey.ended_at };

describe('timeline entry codec', () => {
  it('reads the binary form: entries, and the prior of each contact (none, a journey in the timeline, a contact in full)', () => {
    const repeat: PriorRef = { kind: 'contact', event_id: 'run1-e-000001', id: 'run1-c-000001', provider_id: 'prov-b', ended_at: journey.started_at - 1000 };
    const second = { ...contact, event_id: 'run1-e-000124', id: 'run1-c-000124' };
    const third = { ...contact, event_id: 'run1-e-000125', id: 'run1-c-000125' };
    // encodeTimeline([journey, contact, second, third], those priors) of the version before
    const stored = Buffer.from('0108021a72756e312d652d3030303130301a72756e312d732d3030303130300e62696c6c696e6780d0e086b46880a61d001a72756e312d652d3030303132331a72756e312d632d3030303132330c70726f762d610a50484f4e450e62696c6c696e6780bab703a0f7360200001a72756e312d652d3030303132341a72756e312d632d3030303132340c70726f762d610a50484f4e450e62696c6c696e6700a0f73600001a72756e312d652d3030303132351a72756e312d632d3030303132350c70726f762d610a50484f4e450e62696c6c696e6700a0f73604001a72756e312d652d3030303030311a72756e312d632d303030303031020c70726f762d62d0c9b70300', 'hex');
    const { entries, priors } = decodeTimeline(contact.customer_id, stored);
    expect(entries).toEqual([journey, contact, second, third]);
    expect(priors).toEqual(new Map([[contact.event_id, prior], [second.event_id, null], [third.event_id, repeat]]));
  });

  it('still reads timelines of JSON objects and of positional JSON entries, and reads no timeline as an empty one', () => {
    const objects = Buffer.from(`[${JSON.stringify(journey)},${JSON.stringify({ ...contact, prior })}]`);
    expect(decodeTimeline(contact.customer_id, objects)).toEqual({ entries: [journey, contact], priors: new Map([[contact.event_id, prior]]) });
    const positional = Buffer.from(JSON.stringify([
      ['j', journey.event_id, journey.id, 'billing', journey.started_at, journey.ended_at - journey.started_at],
      ['c', contact.event_id, contact.id, 'prov-a', 'PHONE', 'billing', contact.started_at, contact.ended_at - contact.started_at, ['j', prior.event_id, prior.id, 0, prior.ended_at]],
    ]));
    expect(decodeTimeline(contact.customer_id, positional)).toEqual({ entries: [journey, contact], priors: new Map([[contact.event_id, prior]]) });
    expect(decodeTimeline(contact.customer_id, null)).toEqual({ entries: [], priors: new Map() });
  });
});
