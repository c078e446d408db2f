// Rules every board keeps, checked whenever the boards are generated or compared: each query sits
// in a panel's targets[] as `expr` (PromQL, datasource uid "prometheus") or `rawSql` (ClickHouse
// SQL, datasource uid "clickhouse"), so a test can extract and run them all; panel ids are unique;
// every panel fits the 24-column grid and has a query; the only variables inside queries are the
// boards' own (TEMPLATE_VARIABLES) and Grafana's $__range. SQL uses no Grafana macros.
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { CH, PROM } from './blocks.ts';

/** The boards' variables, and Grafana's built-in `__range` (the dashboard's time range, e.g. `21600s`). */
export const TEMPLATE_VARIABLES = ['provider', 'window', 'family', 'worker', '__range'];

export interface Target {
  refId: string;
  datasource?: { type?: string; uid?: string };
  expr?: string;
  rawSql?: string;
}

/** A panel or row as it appears in the JSON. */
export type AnyPanel = (Panel | RowPanel) & { id?: number; title?: string; description?: string; panels?: AnyPanel[]; targets?: unknown[] };

/** Every target of every panel (rows included), flat. */
export function targetsOf(dash: Pick<Dashboard, 'panels'>): Array<{ panel: AnyPanel; target: Target }> {
  const out: Array<{ panel: AnyPanel; target: Target }> = [];
  const walk = (panels: AnyPanel[] | undefined) => {
    for (const p of panels ?? []) {
      for (const t of (p.targets ?? []) as Target[]) out.push({ panel: p, target: t });
      walk(p.panels);
    }
  };
  walk(dash.panels as AnyPanel[] | undefined);
  return out;
}

/** The rules `dash` breaks, one message each, naming board `name` and the panel. */
export function lint(name: string, dash: Pick<Dashboard, 'panels'>): string[] {
  const errors: string[] = [];
  const ids = new Set<number | undefined>();
  const walk = (panels: AnyPanel[] | undefined) => {
    for (const p of panels ?? []) {
      if (ids.has(p.id)) errors.push(`${name}: duplicate panel id ${p.id}`);
      ids.add(p.id);
      const g = p.gridPos;
      if (!g || g.x < 0 || g.w < 1 || g.x + g.w > 24 || g.h < 1) errors.push(`${name}: panel ${p.id} "${p.title}" has a bad gridPos`);
      if (p.type !== 'row' && !(p.targets ?? []).length) errors.push(`${name}: panel ${p.id} "${p.title}" has no query`);
      walk(p.panels);
    }
  };
  walk(dash.panels as AnyPanel[] | undefined);
  for (const { panel, target } of targetsOf(dash)) {
    const where = `${name}: panel ${panel.id} "${panel.title}" target ${target.refId}`;
    const uid = target.datasource?.uid;
    if (uid === PROM.uid) {
      if (typeof target.expr !== 'string' || !target.expr.trim()) errors.push(`${where}: a Prometheus target needs expr`);
    } else if (uid === CH.uid) {
      if (typeof target.rawSql !== 'string' || !target.rawSql.trim()) errors.push(`${where}: a ClickHouse target needs rawSql`);
      if (/\$__/.test(target.rawSql ?? '')) errors.push(`${where}: no Grafana macros in SQL (tests run it as is)`);
    } else {
      errors.push(`${where}: unknown datasource ${JSON.stringify(target.datasource)}`);
    }
    const q = target.expr ?? target.rawSql ?? '';
    // `$1` in label_replace is a regex group, not a variable
    for (const m of q.matchAll(/\$([A-Za-z_]\w*)/g)) if (!TEMPLATE_VARIABLES.includes(m[1]!)) errors.push(`${where}: unknown variable $${m[1]}`);
  }
  return errors;
}
