import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without type declarations
import { generate } from '../../../scripts/gen-types.mjs';

describe('event types', () => {
  it('are exactly what scripts/gen-types.mjs generates from schemas/*.avsc', () => {
    const committed = readFileSync(new URL('../src/events.generated.ts', import.meta.url), 'utf8');
    expect(committed).toBe((generate as () => string)());
  });

  it('cover the fields docs/events.md lists for ContactEvent, in order', () => {
    const schema = JSON.parse(readFileSync(new URL('../../../schemas/cx.contacts.v1.avsc', import.meta.url), 'utf8')) as {
      fields: Array<{ name: string }>;
    };
    expect(schema.fields.map((f) => f.name)).toEqual([
      'event_id', 'contact_id', 'customer_id', 'provider_id', 'agent_id', 'channel', 'queue', 'intent',
      'started_at', 'answered_at', 'ended_at', 'outcome', 'csat', 'sale_cents',
    ]);
  });
});
