import { describe, expect, it } from 'vitest';
import { DEFAULT_START_MS, simulate } from '../src/index.ts';
import { NOW, options } from './helpers.ts';

describe('options', () => {
  it('defaults to 2026-11-01T00:00:00Z and Europe/Berlin', () => {
    const run = simulate(options());
    expect(new Date(DEFAULT_START_MS).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(run.config).toMatchObject({ startMs: DEFAULT_START_MS, timeZone: 'Europe/Berlin', badRatio: 0, duplicateRatio: 0 });
    expect(run.config.endMs).toBe(DEFAULT_START_MS + 7 * 86_400_000);
  });

  it('refuses a period ending more than 24 h after now, since consumers would reject it', () => {
    expect(() => simulate(options({ nowMs: DEFAULT_START_MS + 5 * 86_400_000 }))).toThrow(/more than 24 h after now/);
    expect(() => simulate(options({ nowMs: DEFAULT_START_MS + 6 * 86_400_000 }))).not.toThrow();
  });

  it.each([
    [{ customers: 0 }, /customers/],
    [{ providers: 27 }, /providers/],
    [{ days: 1.5 }, /days/],
    [{ seed: 1.5 }, /seed/],
    [{ badRatio: -0.1 }, /bad ratio/],
    [{ duplicateRatio: 0.6 }, /duplicate ratio/],
    [{ badRatio: 0.3, duplicateRatio: 0.3 }, /at most 0.5/],
    [{ issueRate: 0 }, /issue rate/],
    [{ timeZone: 'Mars/Base' }, /time zone/],
    [{ startMs: Date.UTC(1999, 0, 1) }, /2000-01-01/],
  ])('rejects %j', (over, message) => {
    expect(() => simulate(options({ ...over, nowMs: NOW }))).toThrow(message);
  });

  it('runs with a single provider and no moves', () => {
    const run = simulate(options({ providers: 1, customers: 500 }));
    const providers = new Set([...run].map((r) => (r.value as { provider_id?: string }).provider_id).filter(Boolean));
    expect(providers).toEqual(new Set(['prov-a']));
  });
});
