import type { InputTopic, RejectReason } from '@cxg/engine';
import { InMemoryDedupeStore, judge, TOPICS, validateEvent } from '@cxg/engine';
import { describe, expect, it } from 'vitest';
import { BAD_KINDS, simulate, toNdjsonLine } from '../src/index.ts';
import { lines, NOW, options } from './helpers.ts';

describe('bad and duplicate records', () => {
  const opts = options({ customers: 3000, badRatio: 0.08, duplicateRatio: 0.05 });
  const run = simulate(opts);
  const records = [...run];

  it('injects roughly the requested shares', () => {
    const { stats } = run;
    expect(stats.total).toBe(records.length);
    expect(stats.bad / stats.total).toBeCloseTo(0.08, 1);
    expect(Math.abs(stats.bad / stats.total - 0.08)).toBeLessThan(0.01);
    const dups = stats.duplicates + stats.duplicateContactIds;
    expect(Math.abs(dups / stats.total - 0.05)).toBeLessThan(0.01);
    // A few re-sends carry a new event_id with a known contact_id.
    expect(stats.duplicateContactIds).toBeGreaterThan(0);
    expect(stats.duplicateContactIds).toBeLessThan(stats.duplicates);
  });

  it('has every injected record rejected or deduplicated, and nothing else', () => {
    const clean = new Set(lines(options({ customers: 3000 })));
    const store = new InMemoryDedupeStore();
    const seenClean = new Set<string>();
    const reasons = new Map<RejectReason, number>();
    let exactDuplicates = 0;
    for (const r of records) {
      const line = toNdjsonLine(r);
      const verdict = judge(r.topic, validateEvent(r.topic, r.value, NOW), store);
      if (clean.has(line) && !seenClean.has(line)) {
        // First sighting of a clean record: the engine must accept it.
        seenClean.add(line);
        expect(verdict.result, line).toBe('accepted');
      } else if (verdict.result === 'duplicate') {
        exactDuplicates++;
      } else {
        expect(verdict.result, `injected record accepted: ${line}`).toBe('rejected');
        if (verdict.result === 'rejected') reasons.set(verdict.reason, (reasons.get(verdict.reason) ?? 0) + 1);
      }
      if (verdict.result === 'accepted') store.remember(r.topic, verdict.event);
    }
    expect(seenClean.size).toBe(clean.size);
    expect(exactDuplicates).toBe(run.stats.duplicates);
    // Each bad record is rejected for exactly the rule it was built to break.
    const { duplicate_contact_id: dupContacts = 0, ...badReasons } = Object.fromEntries(reasons);
    expect(dupContacts).toBe(run.stats.duplicateContactIds);
    expect(badReasons).toEqual(run.stats.badByKind);
  });

  it('uses every kind of fault over a large enough run', () => {
    expect(Object.keys(run.stats.badByKind).sort()).toEqual([...BAD_KINDS].sort());
  });

  it('re-sends only recent records, keeping lateness under 2 minutes', () => {
    let maxSeen = -Infinity;
    let maxLate = 0;
    for (const r of records) {
      const v = validateEvent(r.topic, r.value, NOW);
      if (!v.ok) continue;
      const t = r.topic === TOPICS.customers ? (v.event as { occurred_at: number }).occurred_at : (v.event as { ended_at: number }).ended_at;
      maxLate = Math.max(maxLate, maxSeen - t);
      maxSeen = Math.max(maxSeen, t);
    }
    expect(maxLate).toBeLessThan(120_000);
  });

  it('keeps bad records on their topic and key', () => {
    const topics = new Set<InputTopic>(records.filter((r) => !validateEvent(r.topic, r.value, NOW).ok).map((r) => r.topic));
    expect(topics).toEqual(new Set([TOPICS.contacts, TOPICS.web, TOPICS.customers]));
    for (const r of records) expect(r.key.length).toBeGreaterThan(0);
  });
});
