import { Gauge } from 'prom-client';
import { createMetrics, type PipelineMetrics } from '@cxg/platform';

export interface KpiMetrics extends PipelineMetrics {
  kpi: Gauge<'provider' | 'kpi' | 'window'>;
  kpiSample: Gauge<'provider' | 'kpi' | 'window'>;
  webKpi: Gauge<'family' | 'kpi' | 'window'>;
  webKpiSample: Gauge<'family' | 'kpi' | 'window'>;
  breached: Gauge<'provider' | 'kpi' | 'window' | 'contract'>;
  watermark: Gauge;
}

export function createKpiMetrics(): KpiMetrics {
  const base = createMetrics('kpi');
  const registers = [base.registry];
  return {
    ...base,
    kpi: new Gauge({ name: 'cx_kpi', help: 'Rolling provider KPI (docs/kpis.md); absent while its sample is 0', labelNames: ['provider', 'kpi', 'window'], registers }),
    kpiSample: new Gauge({ name: 'cx_kpi_sample', help: 'Sample (denominator) behind cx_kpi', labelNames: ['provider', 'kpi', 'window'], registers }),
    webKpi: new Gauge({ name: 'cx_web_kpi', help: 'Rolling web KPI per journey family; absent while its sample is 0', labelNames: ['family', 'kpi', 'window'], registers }),
    webKpiSample: new Gauge({ name: 'cx_web_kpi_sample', help: 'Sample (denominator) behind cx_web_kpi', labelNames: ['family', 'kpi', 'window'], registers }),
    breached: new Gauge({
      name: 'cx_kpi_breached',
      help: '1 while a kpi_thresholds entry of the contract is breached, 0 when OK; flips on transitions',
      labelNames: ['provider', 'kpi', 'window', 'contract'],
      registers,
    }),
    watermark: new Gauge({ name: 'cx_kpi_watermark_seconds', help: 'Event time the rolling windows end at (greatest event time applied)', registers }),
  };
}
