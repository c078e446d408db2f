/** Config versions on a real embedded ClickHouse: stored once per text, named by every rated line's basis. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@cxg/engine';
import { configVersion, readConfigVersions, recordConfigVersion } from '../src/config-version.ts';
import { insertFacts } from '../src/facts.ts';
import { readLines, resetDatabase } from '../src/ledger.ts';
import { rateRange } from '../src/rating.ts';
import { config, contact, tempLedger, utc } from '../src/testing.ts';

const yaml = (cents: number) => `
timezone: UTC
contracts:
  - id: k
    provider_id: p
    valid_from: 2026-05-01
    valid_to: 2026-05-31
    transactional: {per_contact_cents: {PHONE: ${cents}}}
`;
const v1 = config(yaml(400));
const v2 = config(yaml(450));

let ledger: Awaited<ReturnType<typeof tempLedger>>;
beforeAll(async () => {
  ledger = await tempLedger('config-version');
}, 60_000);
afterAll(async () => ledger?.close());

describe('config versions', () => {
  it('a version is the hash of the text: same text, same version; any change, another', () => {
    expect(configVersion(v1)).toMatch(/^[0-9a-f]{16}$/);
    expect(configVersion(config(yaml(400)))).toBe(configVersion(v1));
    expect(configVersion(v2)).not.toBe(configVersion(v1));
  });

  it('is stored once with its text, and each rated line names the version it was rated under', async () => {
    expect(await recordConfigVersion(ledger.client, v1, utc('2026-05-02T00:00:00Z'))).toBe(true);
    expect(await recordConfigVersion(ledger.client, v1)).toBe(false);
    await insertFacts(ledger.client, [{ topic: TOPICS.contacts, event: contact({ provider_id: 'p', ended_at: utc('2026-05-01T10:00:00Z') }), source: 't/0/0' }], 1n);
    const w = utc('2026-05-01T12:00:00Z');
    await rateRange(ledger.client, v1, v1.contracts, '2026-05-01', '2026-05-01', w);
    const [l1] = await readLines(ledger.client);
    expect(l1).toMatchObject({ amount_cents: 400n });
    expect(JSON.parse(l1!.basis).config_version).toBe(configVersion(v1));

    expect(await recordConfigVersion(ledger.client, v2, utc('2026-05-03T00:00:00Z'))).toBe(true);
    await rateRange(ledger.client, v2, v2.contracts, '2026-05-01', '2026-05-01', w);
    const [l2] = await readLines(ledger.client);
    expect(l2).toMatchObject({ amount_cents: 450n });
    expect(JSON.parse(l2!.basis).config_version).toBe(configVersion(v2));

    const stored = await readConfigVersions(ledger.client);
    expect(stored).toEqual([
      { config_version: configVersion(v1), file: 'test.yaml', text: yaml(400), recorded_at: '2026-05-02T00:00:00.000Z' },
      { config_version: configVersion(v2), file: 'test.yaml', text: yaml(450), recorded_at: '2026-05-03T00:00:00.000Z' },
    ]);
  });

  it('a replay database starts without versions', async () => {
    await resetDatabase(ledger.client);
    expect(await readConfigVersions(ledger.client)).toEqual([]);
  });
});
