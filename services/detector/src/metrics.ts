import { Counter } from 'prom-client';
import { createMetrics, type PipelineMetrics } from '@cxg/platform';

export interface DetectorMetrics extends PipelineMetrics {
  signals: Counter<'kind'>;
}

export function createDetectorMetrics(): DetectorMetrics {
  const base = createMetrics('detector');
  return {
    ...base,
    signals: new Counter({ name: 'cx_signals_total', help: 'JourneySignals emitted by kind', labelNames: ['kind'], registers: [base.registry] }),
  };
}
