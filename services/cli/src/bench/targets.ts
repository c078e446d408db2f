// The performance targets (docs/performance.md), judged on one bench report.
import type { BenchReport } from './run.ts';

export interface Verdict {
  target: string;
  measured: string;
  met: boolean;
}

export function judge(report: BenchReport): Verdict[] {
  const rate = (id: string) => report.stages.find((s) => s.id === id)?.perSecond;
  const out: Verdict[] = [];
  const ratio = (label: string, id: string, base: string, min: number, unit = '×') => {
    const a = rate(id);
    const b = rate(base);
    if (a === undefined || b === undefined || b === 0) return;
    const r = a / b;
    out.push({ target: `${label} ≥ ${unit === '%' ? `${min * 100} %` : `${min}×`} of ${base}`, measured: unit === '%' ? `${(r * 100).toFixed(0)} %` : `${r.toFixed(2)}×`, met: r >= min });
  };
  const at = (label: string, id: string, min: number) => {
    const a = rate(id);
    if (a !== undefined) out.push({ target: `${label} ≥ ${min.toLocaleString('en-US')}/s`, measured: `${Math.round(a).toLocaleString('en-US')}/s`, met: a >= min });
  };
  ratio('detector', 'detector', 'ceiling:detector', 0.5, '%');
  at('detector', 'detector', 25_000);
  ratio('kpi', 'kpi', 'ceiling:kpi', 0.6, '%');
  ratio('accruals', 'accruals', 'ceiling:accruals', 0.4, '%');
  for (const w of ['detector', 'kpi', 'accruals']) ratio(w, w, `naive:${w}`, 10);
  at('engine on the replay path', 'engine', 300_000);
  if (report.redis) {
    const b = report.redis.detector.bytesPerCustomer;
    out.push({ target: 'detector Redis per active customer ≤ 300 B', measured: `${b} B`, met: b <= 300 });
  }
  const l = report.latency;
  if (l) {
    const p99 = (label: string, x: { p99Ms?: number; seen: number; expected: number }, maxMs: number) =>
      out.push({ target: `p99 produce → ${label} ≤ ${maxMs.toLocaleString('en-US')} ms at ${l.offeredPerSecond.toLocaleString('en-US')}/s`, measured: x.p99Ms === undefined ? `not reached (${x.seen} of ${x.expected} seen)` : `${x.p99Ms} ms`, met: x.p99Ms !== undefined && x.p99Ms <= maxMs });
    p99('KPI count visible', l.kpi, 250);
    // The reorder buffer waits L of event time, which the simulated stream passes eventTimeSpeedup times faster than the wall clock.
    const reorderWaitMs = Math.round(l.allowedLatenessMs / Math.max(1, l.eventTimeSpeedup));
    p99(`signal (reorder wait ${reorderWaitMs} ms + 1 s)`, l.signal, reorderWaitMs + 1000);
    p99('provisional ledger line', l.ledger, 2000);
  }
  ratio('two detectors', 'detectorx2', 'detector', 1.6);
  return out;
}
