import { Counter, Gauge, Histogram } from 'prom-client';
import { createMetrics, type PipelineMetrics } from '@cxg/platform';

export interface AccrualsMetrics extends PipelineMetrics {
  /** month to date (the watermark's month in each contract's zone), per contract and line type */
  accrualCents: Gauge<'contract' | 'line_type'>;
  ratingSeconds: Histogram<'trigger'>;
  watermarkSeconds: Gauge;
  /** contract months that could not be rated, by reason (`amount_out_of_range`, `quantity_out_of_range`) */
  accrualErrors: Counter<'contract' | 'reason'>;
}

export function createAccrualsMetrics(): AccrualsMetrics {
  const base = createMetrics('accruals');
  return {
    ...base,
    accrualCents: new Gauge({
      name: 'cx_accrual_cents',
      help: 'Accrued cents month to date (the watermark month, contract time zone) per contract and line type',
      labelNames: ['contract', 'line_type'],
      registers: [base.registry],
    }),
    ratingSeconds: new Histogram({
      name: 'cx_accrual_rating_seconds',
      help: 'Wall time to re-rate the days one batch touched (SQL aggregation, rating, ledger write)',
      labelNames: ['trigger'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [base.registry],
    }),
    watermarkSeconds: new Gauge({
      name: 'cx_accrual_watermark_seconds',
      help: 'Greatest event time of the accepted records processed (epoch seconds)',
      registers: [base.registry],
    }),
    accrualErrors: new Counter({
      name: 'cx_accrual_errors_total',
      help: 'Ratings of a contract month that wrote nothing because a line could not be booked (e.g. an amount beyond the signed 64-bit range of cents)',
      labelNames: ['contract', 'reason'],
      registers: [base.registry],
    }),
  };
}
