/**
 * Config versions (docs/accruals.md, "Config versions"): the ledger keeps the text of every
 * contracts file it was rated under, keyed by its hash, and every line's basis names the version
 * it was rated by, so a booked amount always leads back to the exact terms behind it.
 */
import { createHash } from 'node:crypto';
import type { ContractsConfig } from '@cxg/engine';
import { chTime, rows, type ClickHouseClient } from './clickhouse.ts';

/** The first 16 hex digits of the SHA-256 of the file's text: short enough to read, far from colliding. */
export function configVersion(config: Pick<ContractsConfig, 'text'>): string {
  return createHash('sha256').update(config.text).digest('hex').slice(0, 16);
}

export interface StoredConfigVersion {
  config_version: string;
  file: string;
  text: string;
  /** ISO time it was first recorded */
  recorded_at: string;
}

/** Stores the config's text under its version unless the ledger has it; true when it was new. */
export async function recordConfigVersion(client: ClickHouseClient, config: ContractsConfig, nowMs: number = Date.now()): Promise<boolean> {
  const version = configVersion(config);
  const [found] = await rows<{ n: string }>(client, 'SELECT count() AS n FROM config_versions WHERE config_version = {v:String}', { v: version });
  if (found !== undefined && found.n !== '0') return false;
  await client.insert({
    table: 'config_versions',
    format: 'JSONEachRow',
    values: [{ config_version: version, file: config.file, text: config.text, recorded_at: chTime(nowMs) }],
  });
  return true;
}

/** Every recorded version, oldest first. */
export async function readConfigVersions(client: ClickHouseClient): Promise<StoredConfigVersion[]> {
  const found = await rows<StoredConfigVersion>(
    client,
    `SELECT config_version, file, text, concat(replaceOne(toString(recorded_at), ' ', 'T'), 'Z') AS recorded_at
     FROM config_versions FINAL ORDER BY recorded_at, config_version`,
  );
  return found;
}

const RATED_CONFIG = 'rated_config_version';
/** accrual_state holds integers: a version's first 15 hex digits (60 bits) stand for it there. */
const asStateValue = (version: string) => BigInt(`0x${version.slice(0, 15)}`).toString();

/**
 * Whether the whole ledger was last settled under `version` (durable in accrual_state): a worker
 * starting with another version rates every contract again (config_change adjustments), and
 * saves the version only once that is done, so a crash in between repeats it.
 */
export async function isRatedUnder(client: ClickHouseClient, version: string): Promise<boolean> {
  const [r] = await rows<{ v: string; n: string }>(client, 'SELECT toString(argMax(value, version)) AS v, count() AS n FROM accrual_state WHERE name = {name:String}', {
    name: RATED_CONFIG,
  });
  return r !== undefined && r.n !== '0' && r.v === asStateValue(version);
}

export async function saveRatedUnder(client: ClickHouseClient, version: string, stateVersion: bigint): Promise<void> {
  await client.insert({ table: 'accrual_state', format: 'JSONEachRow', values: [{ name: RATED_CONFIG, value: asStateValue(version), version: stateVersion.toString() }] });
}
