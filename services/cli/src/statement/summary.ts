// A statement in three lines, for the end of `cxg demo`: the month's total and state, its top line
// types, and the quality gates of a closed month; the full statement is `cxg statement`.
import { formatCents, type Statement } from '@cxg/ledger';

/** The month-close lines whose basis says whether their KPI gates passed, and what to call them. */
const GATE_LINES: Record<string, string> = { gainshare_quality_gate: 'quality gate', customer_fee_malus: 'malus gate' };

interface GateBasis {
  passed?: boolean;
  gates?: { kpi: string; min?: string; max?: string; value: string | null; passed: boolean }[];
}

/** `quality gate passed`, or `quality gate FAILED (csat_top2 0.70 < min 0.75)`, from a close line's basis. */
export function gateOutcome(lineType: string, basis: string): string | null {
  const name = GATE_LINES[lineType];
  if (name === undefined) return null;
  const b = JSON.parse(basis) as GateBasis;
  if (typeof b.passed !== 'boolean') return null;
  if (b.passed) return `${name} passed`;
  const failed = (b.gates ?? []).filter((g) => !g.passed).map((g) => `${g.kpi} ${g.value ?? 'no sample'} ${g.min !== undefined ? `< min ${g.min}` : `> max ${g.max}`}`);
  return `${name} FAILED${failed.length > 0 ? ` (${failed.join(', ')})` : ''}`;
}

/** The `n` line types (channels summed) with the largest amounts, largest |amount| first; zero amounts left out. */
export function topLineTypes(s: Statement, n = 3): { line_type: string; amount_cents: bigint }[] {
  const byType = new Map<string, bigint>();
  for (const t of s.totals) byType.set(t.line_type, (byType.get(t.line_type) ?? 0n) + t.amount_cents);
  const abs = (c: bigint) => (c < 0n ? -c : c);
  return [...byType]
    .filter(([, c]) => c !== 0n)
    .sort(([a, x], [b, y]) => (abs(y) > abs(x) ? 1 : abs(y) < abs(x) ? -1 : a.localeCompare(b)))
    .slice(0, n)
    .map(([line_type, amount_cents]) => ({ line_type, amount_cents }));
}

/**
 * Three lines: `2026-10  final, closed  total 41234.56 EUR`, the top line types, and the gates of a
 * closed month (or that they come at its close). `closeLines` are the month's stored lines with
 * their basis; only the gate lines among them count.
 */
export function monthSummary(s: Statement, closeLines: readonly { line_type: string; basis: string }[]): string[] {
  const cur = s.currency ? ` ${s.currency}` : '';
  const state = `${s.final ? 'final' : 'provisional'}, ${s.closed ? 'closed' : 'open'}`;
  const notFinal = s.provisional_cents !== 0n && !s.final ? `, of it ${formatCents(s.provisional_cents)} not final yet` : '';
  const adjusted = s.service_month_cents !== s.total_cents ? `; with every adjustment to the month ${formatCents(s.service_month_cents)}` : '';
  const top = topLineTypes(s).map((t) => `${t.line_type} ${formatCents(t.amount_cents)}`);
  const order = Object.keys(GATE_LINES);
  const gates = [...closeLines]
    .filter((l) => order.includes(l.line_type))
    .sort((a, b) => order.indexOf(a.line_type) - order.indexOf(b.line_type))
    .map((l) => gateOutcome(l.line_type, l.basis))
    .filter((g) => g !== null);
  const indent = ' '.repeat(s.month.length + 2);
  return [
    `${s.month}  ${state.padEnd(18)} total ${formatCents(s.total_cents)}${cur}${notFinal}${adjusted}`,
    `${indent}top: ${top.join(', ') || 'no amounts'}`,
    `${indent}gates: ${s.closed ? gates.join(', ') || 'none in this contract' : 'decided when the month closes'}`,
  ];
}
