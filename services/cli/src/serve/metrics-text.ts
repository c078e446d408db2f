/**
 * Samples of the Prometheus text exposition format (what prom-client serves on a worker's
 * /metrics) with their label sets. `cxg bench` sums samples with a substring match
 * (bench/measure.ts `metricSum`); the status page needs them grouped by label, so label values are
 * parsed properly here, escapes (\\ \" \n) included.
 */

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;

function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseLabels(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let at = 0;
  for (let m = LABEL.exec(text); m !== null; m = LABEL.exec(text)) {
    out[m[1]!] = unescape(m[2]!);
    at = LABEL.lastIndex;
  }
  return text.slice(at).trim() === '' ? out : null;
}

/** Every sample of metric `name` (exact name: a histogram's `_bucket` series are their own names). */
export function metricSamples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = LINE.exec(line.trim());
    if (m === null || m[1] !== name) continue;
    const labels = m[2] === undefined ? {} : parseLabels(m[2]);
    const value = Number(m[3]);
    if (labels !== null && !Number.isNaN(value)) out.push({ labels, value });
  }
  return out;
}

/** Sums of metric `name`'s samples per value of label `by` (samples without it are left out). */
export function sumBy(text: string, name: string, by: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of metricSamples(text, name)) {
    const k = s.labels[by];
    if (k !== undefined) out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}
