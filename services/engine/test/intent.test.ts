import { describe, expect, it } from 'vitest';
import { family, isIntent } from '../src/index.ts';

describe('intent codes', () => {
  it.each(['billing', 'billing.invoice_question', 'a.b.c', 'x_1.y2', '0'])('accepts %s', (code) => {
    expect(isIntent(code)).toBe(true);
  });

  it.each(['', 'Billing', 'billing.', '.billing', 'billing..x', 'billing-x', 'billing .x', 'billing\n', 'bïlling'])('rejects %j', (code) => {
    expect(isIntent(code)).toBe(false);
  });

  it('family is the part before the first dot', () => {
    expect(family('billing.invoice_question')).toBe('billing');
    expect(family('tariff.change.upgrade')).toBe('tariff');
    expect(family('billing')).toBe('billing');
  });
});
