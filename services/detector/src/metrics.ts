import { Counter } from 'prom-client';
import { createMetrics, type PipelineMetrics } from '@cxg/platform';

export interface DetectorMetrics extends PipelineMetrics {
  signals: Counter<'kind'>;
  /** Timeline entries a future contact could still have chosen, dropped by the safety bound. */
  timelineTruncated: Counter;
}

export function createDetectorMetrics(): DetectorMetrics {
  const base = createMetrics('detector');
  return {
    ...base,
    signals: new Counter({ name: 'cx_signals_total', help: 'JourneySignals emitted by kind', labelNames: ['kind'], registers: [base.registry] }),
    timelineTruncated: new Counter({
      name: 'cx_timeline_truncated_total',
      help: 'Customer timeline entries dropped by the safety bound although a later contact could have chosen them (a flood)',
      registers: [base.registry],
    }),
  };
}
