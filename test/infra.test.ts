// Prometheus rules (promtool test rules) and Alertmanager routing (amtool) are checked with the real
// tools, so a rule or a route cannot silently break. The Grafana boards' drift check and query rules
// are infra/grafana/test/boards.test.ts; their queries run in dashboards.test.ts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
};

describe('infra', () => {
  it('Prometheus config is valid and every alert rule test passes (promtool)', () => {
    const r = run('bash', ['infra/prometheus/check.sh']);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/tests\/kpi\.test\.yml\s+SUCCESS/);
    expect(r.output).toMatch(/tests\/pipeline\.test\.yml\s+SUCCESS/);
  });

  it('Alertmanager routes each provider to its supervisors and pipeline alerts to ops (amtool)', () => {
    const r = run('bash', ['infra/alertmanager/check.sh']);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('supervisors-prov-a');
  });
});
