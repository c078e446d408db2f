// The committed boards are exactly what the code generates (a stale board fails here, naming the
// command that rewrites it), they keep the query rules, and the thresholds follow the contracts.
// The queries themselves run against a real Prometheus and ClickHouse in test/dashboards.test.ts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATE, OUT_DIR, REPO, boards, boundSteps, check, lint, render, targetsOf } from '../src/index.ts';

// the committed boards draw the committed contracts, whatever CX_CONFIG says
const generated = boards(join(REPO, 'config/contracts.yaml'));

describe('Grafana boards', () => {
  it('committed under infra/grafana/dashboards are the generated ones', () => {
    const { stale } = check(generated);
    expect(stale, `stale board(s); regenerate them with: ${GENERATE}`).toEqual([]);
  });

  it('keep the query rules', () => {
    expect(check(generated).errors).toEqual([]);
    expect(Object.keys(generated)).toEqual(['operations.json', 'pipeline-health.json', 'finance.json']);
    expect(OUT_DIR.endsWith(join('infra', 'grafana', 'dashboards'))).toBe(true);
  });

  it('a stale or missing board is reported with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cxg-boards-'));
    writeFileSync(join(dir, 'operations.json'), render(generated['operations.json']!));
    writeFileSync(join(dir, 'finance.json'), render(generated['finance.json']!).replace('cx-gainshare / Finance', 'Finance'));
    expect(check(generated, dir).stale).toEqual([join(dir, 'pipeline-health.json'), join(dir, 'finance.json')]);
  });

  it('lint names each broken rule', () => {
    const panel = (id: number, targets: object[], gridPos = { x: 0, y: 0, w: 12, h: 8 }) => ({ type: 'timeseries', id, title: `p${id}`, gridPos, targets });
    const errors = lint('b.json', {
      panels: [
        panel(1, [{ refId: 'A', datasource: { uid: 'prometheus' }, expr: 'up{job=~"$job"}' }]),
        panel(1, [{ refId: 'A', datasource: { uid: 'clickhouse' }, rawSql: 'SELECT 1 WHERE $__timeFilter(t)' }]),
        panel(3, [], { x: 20, y: 0, w: 8, h: 8 }),
        panel(4, [{ refId: 'A', datasource: { uid: 'loki' }, expr: 'x' }]),
        panel(5, [{ refId: 'A', datasource: { uid: 'prometheus' }, expr: 'label_replace(up, "a", "$1", "job", "(.*)") * on() group_left vector($__range)' }]),
      ] as never,
    });
    expect(errors).toEqual([
      'b.json: duplicate panel id 1',
      'b.json: panel 3 "p3" has a bad gridPos',
      'b.json: panel 3 "p3" has no query',
      'b.json: panel 1 "p1" target A: unknown variable $job',
      'b.json: panel 1 "p1" target A: no Grafana macros in SQL (tests run it as is)',
      'b.json: panel 1 "p1" target A: unknown variable $__timeFilter',
      'b.json: panel 4 "p4" target A: unknown datasource {"uid":"loki"}',
    ]);
  });

  it('number panels and name queries: ids unique, refIds A, B, ... per panel, datasource from the queries', () => {
    for (const dash of Object.values(generated)) {
      const ids = (dash.panels ?? []).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const { panel, target } of targetsOf(dash)) {
        expect(panel.datasource).toEqual(target.datasource);
        expect(target.refId).toMatch(/^[A-Z]$/);
      }
    }
  });

  it('pipeline health shows lag per partition with its owning member and DLQ records by reason with the cxg dlq command', () => {
    const targets = targetsOf(generated['pipeline-health.json']!);
    const byTitle = (title: string) => targets.filter((t) => t.panel.title === title).map((t) => t.target.expr);
    expect(byTitle('Consumer lag per partition and owner')).toEqual([
      'cx_consumer_lag{worker=~"$worker"} * on (worker, instance, topic, partition) group_left (member) cx_consumer_assignment{worker=~"$worker"}',
    ]);
    const [dlq] = byTitle('DLQ records by reason (time range)');
    expect(dlq).toContain('increase(cx_dlq_total{worker=~"$worker"}[$__range])');
    expect(dlq).toContain('"inspect", "cxg dlq list --reason $1", "reason"');
    const panel = targets.find((t) => t.panel.title === 'DLQ records by reason (time range)')!.panel;
    expect(panel.description).toContain('cxg dlq list --reason REASON');
  });

  it('operations shows the alert state per provider over time', () => {
    const t = targetsOf(generated['operations.json']!).find((x) => x.panel.title === 'Alert state per provider')!;
    expect(t.panel.type).toBe('state-timeline');
    expect(t.target.expr).toMatch(/^max by \(provider\) \(2 \* ALERTS\{alertstate="firing",provider=~"\$provider"\} or ALERTS\{alertstate="pending"/);
  });

  it('draw each contract bound of config/contracts.yaml on its KPI: alert bounds red, monthly gates orange', () => {
    const titles = targetsOf(generated['operations.json']!).map((t) => t.panel.title);
    // prov-a: repeat_rate and service_level alert thresholds, csat_top2 gate, fcr_rate malus gate
    expect(titles).toContain('prov-a repeat_rate (24h)');
    expect(titles).toContain('prov-a csat_top2 (7d)');
    expect(boundSteps([{ kind: 'alert', max: 0.25, window: '24h' }])).toEqual([
      { value: null, color: 'green' },
      { value: 0.25, color: 'red' },
    ]);
    // a gate below an alert bound: orange between them, red beyond the alert
    expect(boundSteps([{ kind: 'alert', min: 0.7, window: '1h' }, { kind: 'gainshare quality gate', min: 0.75 }])).toEqual([
      { value: null, color: 'red' },
      { value: 0.7, color: 'orange' },
      { value: 0.75, color: 'green' },
    ]);
    // cents shown as currency units
    expect(boundSteps([{ kind: 'gainshare quality gate', min: 500 }], 100)).toEqual([
      { value: null, color: 'orange' },
      { value: 5, color: 'green' },
    ]);
  });
});
