import { Option, type Command } from 'commander';
import { PROVIDER_KPIS, RATE_KPIS, WEB_KPIS, type KpiReading, type KpiWindow, type ProviderKpi, type WebKpi } from '@cxg/engine';
import { readEndpoints, redactUrl } from '@cxg/platform';
import { DEFAULT_KEY_PREFIX, connectKpiReader, kpisDocument, parseWindows, type KpisDocument } from '@cxg/kpi';
import { newTable } from '../color.ts';
import { CliError } from '../errors.ts';

interface KpisOptions {
  provider?: string;
  window: string;
  json?: boolean;
  prefix?: string;
}

/** Short column heads of the KPIs (also the status page's, `cxg serve`). */
export const HEAD: Record<ProviderKpi, string> = {
  abandon_rate: 'abandon',
  service_level: 'service lvl',
  aht_seconds: 'AHT s',
  repeat_rate: 'repeat',
  fcr_rate: 'FCR',
  csat_top2: 'CSAT top2',
  csat_avg: 'CSAT avg',
  switch_share: 'switch',
  sales_per_contact_cents: 'sales/ct ¢',
};
export const WEB_HEAD: Record<WebKpi, string> = { self_service_success_rate: 'self-service success', web_to_phone_rate: 'web → phone' };

/** A KPI value as people read it: rates in %, CSAT average with 2 decimals, others with 1; – without sample. */
export function kpiText(kpi: string, value: number | null): string {
  if (value === null) return '–';
  if ((RATE_KPIS as readonly string[]).includes(kpi) || (WEB_KPIS as readonly string[]).includes(kpi)) return `${(value * 100).toFixed(1)}%`;
  if (kpi === 'csat_avg') return value.toFixed(2);
  return value.toFixed(1);
}

function format(kpi: string, r: KpiReading): string {
  return `${kpiText(kpi, r.value)}\nn=${r.sample}`;
}

/** One table of providers (rows) × KPIs, one of journey families × web KPIs, per window. */
function renderKpis(doc: KpisDocument): string {
  const out: string[] = [];
  if (doc.rebuilding_partitions.length > 0) {
    out.push(`partial: the kpi worker is rebuilding partitions ${doc.rebuilding_partitions.join(', ')} after Redis lost their state; counts are low until it finishes`);
  }
  for (const [window, table] of Object.entries(doc.windows) as [KpiWindow, NonNullable<KpisDocument['windows'][KpiWindow]>][]) {
    out.push(`${window} window ending ${doc.watermark_iso ?? '-'} (event time); value over n = sample`);
    const providers = newTable({ head: ['provider', ...PROVIDER_KPIS.map((k) => HEAD[k])], style: { head: [], border: [] } });
    for (const [p, readings] of Object.entries(table.providers)) providers.push([p, ...PROVIDER_KPIS.map((k) => format(k, readings[k]))]);
    out.push(Object.keys(table.providers).length > 0 ? providers.toString() : '(no contacts in this window)');
    const web = newTable({ head: ['journey family', ...WEB_KPIS.map((k) => WEB_HEAD[k])], style: { head: [], border: [] } });
    for (const [f, readings] of Object.entries(table.web)) web.push([f, ...WEB_KPIS.map((k) => format(k, readings[k]))]);
    out.push(Object.keys(table.web).length > 0 ? web.toString() : '(no web journeys in this window)');
  }
  return out.join('\n');
}

export function register(program: Command): void {
  program
    .command('kpis')
    .description('print the rolling quality KPIs from Redis: every KPI with its sample, per provider (and all) and per journey family')
    .option('--provider <id>', 'only this provider\'s row (default: every provider and `all`)')
    .addOption(new Option('--window <window>', 'rolling window, relative to the greatest event time processed').choices(['1h', '24h', '7d', 'all']).default('24h'))
    .option('--json', 'print one JSON object, as GET /kpis of the kpi worker answers: {watermark, watermark_iso, rebuilding_partitions, windows: {<window>: {providers, web}}}')
    .option('--prefix <prefix>', `Redis key prefix of the kpi worker (default: CX_KPI_KEY_PREFIX or ${DEFAULT_KEY_PREFIX})`)
    .addHelpText(
      'after',
      [
        '',
        'Reads the kpi worker\'s buckets in Redis (REDIS_URL) directly, so it works while the worker is down.',
        'Windows (see docs/kpis.md): 1h = the 60 minute buckets ending with the current minute; 24h / 7d = the',
        'last 24 / 168 hour buckets including the current hour, "current" meaning the store\'s watermark.',
        'Rates are shown in %, AHT in seconds, sales per answered contact in cents; – marks a KPI whose',
        'sample (denominator) is 0. Samples: abandon_rate offered, service_level PHONE offered, csat_* csat',
        'responses, switch_share answered PHONE, the others answered; web: journeys / identified journeys',
        'with a switch outcome.',
        '',
        'Exit codes: 0 printed (also when there is no data yet); 1 Redis unreachable.',
        '',
        'Examples:',
        '  cxg kpis',
        '  cxg kpis --provider prov-a --window 1h',
        '  cxg kpis --window all --json | jq \'.windows["24h"].providers.all.repeat_rate\'',
      ].join('\n'),
    )
    .action(async (opts: KpisOptions) => {
      const windows = parseWindows(opts.window)!;
      let connection: Awaited<ReturnType<typeof connectKpiReader>>;
      const { redisUrl } = readEndpoints();
      try {
        connection = await connectKpiReader(redisUrl, opts.prefix ?? process.env.CX_KPI_KEY_PREFIX ?? DEFAULT_KEY_PREFIX);
      } catch (err) {
        // the reader's message names REDIS_URL, which may carry a password: print it without
        throw new CliError((err as Error).message.split(redisUrl).join(redactUrl(redisUrl)), 1, { cause: err });
      }
      try {
        const doc = kpisDocument(await connection.reader.read(windows), { windows, ...(opts.provider ? { provider: opts.provider } : {}) });
        if (opts.json) process.stdout.write(`${JSON.stringify(doc)}\n`);
        else if (doc.watermark === null) process.stdout.write(`no KPI data under ${connection.reader.keys.prefix} yet (is the kpi worker running? cxg run kpi)\n`);
        else process.stdout.write(`${renderKpis(doc)}\n`);
      } finally {
        connection.close();
      }
    });
}
