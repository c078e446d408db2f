/**
 * zod 4 schemas for the contracts YAML (docs/contracts.md). Objects are strict (an unknown key
 * is an error, listing the allowed ones); leaf messages say what was expected and what was
 * found. Intra-contract rules live here; rules across contracts are in parse.ts.
 */
import * as z from 'zod';
import { ChannelValues, JourneyOutcomeValues } from '../events.generated.ts';
import type { Channel, JourneyOutcome } from '../events.generated.ts';
import { Decimal } from '../money/decimal.ts';
import { isValidDate } from '../rating/calendar.ts';
import { PROVIDER_KPIS, RATE_KPIS, WEB_KPIS, isProviderKpi } from '../rating/kpis.ts';
import type { ProviderKpi } from '../rating/kpis.ts';
import { isValidTimeZone } from '../rating/localtime.ts';
import { parseDuration } from './duration.ts';
import { NumLit } from './yaml-source.ts';
import { DEFAULT_CURRENCY, DEFAULT_DETECTION_CONFIG, DEFAULT_SERVICE_LEVEL_SECONDS, THRESHOLD_WINDOWS } from './types.ts';
import type { Contract, DetectionConfig, KpiGate, KpiThreshold } from './types.ts';

const ZERO = Decimal.ZERO;
const ONE = Decimal.ONE;
const HUNDRED = Decimal.fromInteger(100);

/** Contract ids appear in accrual ids (`<contract>:<date>:<line_type>:<channel>`), hence no `:`. */
export const CONTRACT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const FAMILY_RE = /^[a-z0-9_]+$/;
const CURRENCY_RE = /^[A-Z]{3}$/;

function describeValue(v: unknown): string {
  if (v instanceof NumLit) return v.source;
  if (v === null) return 'an empty value';
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

type Issue = { input?: unknown };
/** Error text for a leaf: "is required" when absent, else `must be … (got …)`. */
const expect = (what: string) => (iss: Issue) =>
  iss.input === undefined ? 'is required' : `must be ${what} (got ${describeValue(iss.input)})`;

type Ctx = z.core.$RefinementCtx<unknown> | { issues: z.core.$ZodRawIssue[] };
function fail(ctx: Ctx, input: unknown, message: string): typeof z.NEVER {
  ctx.issues.push({ code: 'custom', message, input });
  return z.NEVER;
}

function strict<S extends z.ZodRawShape>(shape: S) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys' ? `unknown key (allowed here: ${allowed})` : expect('a mapping')(iss),
  });
}

const str = z.string({ error: expect('a string') });
const nonEmpty = (what: string) =>
  str.refine((s) => s.trim().length > 0 && s.length <= 256, { error: `must be a non-empty ${what} of at most 256 characters` });
const bool = z.boolean({ error: expect('true or false') });

interface DecimalRule {
  min?: Decimal;
  max?: Decimal;
  integer?: boolean;
  /** e.g. "between 0 and 1"; built from min/max when absent */
  what?: string;
}

function ruleText(r: DecimalRule): string {
  if (r.what) return r.what;
  const kind = r.integer ? 'an integer' : 'a number';
  if (r.min && r.max) return `${kind} between ${r.min} and ${r.max}`;
  if (r.min) return `${kind} >= ${r.min}`;
  if (r.max) return `${kind} <= ${r.max}`;
  return kind;
}

/** A YAML number read exactly from its source text into a Decimal. */
function decimal(rule: DecimalRule = {}) {
  const what = ruleText(rule);
  return z
    .custom<NumLit>((v) => v instanceof NumLit, { error: expect(what) })
    .transform((n, ctx) => {
      let d: Decimal;
      try {
        d = Decimal.fromDecimalString(n.source);
      } catch {
        return fail(ctx, n, `must be a plain decimal number (got ${n.source})`);
      }
      const bad = (rule.integer && !d.isInteger()) || (rule.min && d.lt(rule.min)) || (rule.max && d.gt(rule.max));
      return bad ? fail(ctx, n, `must be ${what} (got ${n.source})`) : d;
    });
}

/** A non-negative safe integer as a number (cents, counts, seconds). */
function integer(min: number, what?: string) {
  return decimal({ min: Decimal.fromInteger(min), integer: true, what: what ?? `an integer >= ${min}` }).transform((d, ctx) => {
    const n = Number(d.num);
    return Number.isSafeInteger(n) ? n : fail(ctx, d.toString(), `must be at most ${Number.MAX_SAFE_INTEGER}`);
  });
}

const cents = integer(0, 'a non-negative integer number of cents');
const share = decimal({ min: ZERO, max: ONE, what: 'between 0 and 1' });
const pct = decimal({ min: ZERO, max: HUNDRED, what: 'between 0 and 100' });

const duration = (positive: boolean) =>
  z.unknown().transform((v, ctx) => {
    const what = 'a duration like 7d, 24h, 2m, 30s or 500ms';
    if (v === undefined) return fail(ctx, v, 'is required');
    const ms = typeof v === 'string' ? parseDuration(v) : null;
    if (ms === null) return fail(ctx, v, `must be ${what} (got ${describeValue(v)})`);
    if (positive && ms === 0) return fail(ctx, v, `must be longer than 0 (got ${describeValue(v)})`);
    return ms;
  });

const date = str.refine(isValidDate, { error: (iss) => `must be a date YYYY-MM-DD (got ${describeValue(iss.input)})` });
const timezone = str.refine(isValidTimeZone, {
  error: (iss) => `must be an IANA time zone such as Europe/Berlin (got ${describeValue(iss.input)})`,
});
/** The top-level zone has no default: a guessed zone would move money across days (docs/contracts.md). */
const requiredTimezone = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? 'is required (the IANA time zone of the accrual days, such as Europe/Berlin; there is no default)'
        : `must be an IANA time zone such as Europe/Berlin (got ${describeValue(iss.input)})`,
  })
  .refine(isValidTimeZone, { error: (iss) => `must be an IANA time zone such as Europe/Berlin (got ${describeValue(iss.input)})` });

/** `provider_id` of the aggregate rows (all providers together), so never a contract's provider. */
export const RESERVED_PROVIDER_ID = 'all';

function enumOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: expect(`one of ${values.join(', ')}`) });
}

/** A list without repeated entries, reported at the repeated entry. */
function uniqueList<T extends z.ZodType>(item: T, opts: { nonEmpty: boolean }) {
  return z
    .array(item, { error: expect('a list') })
    .superRefine((list, ctx) => {
      if (opts.nonEmpty && list.length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty', input: list });
      const seen = new Set<string>();
      list.forEach((v, i) => {
        const key = JSON.stringify(v);
        if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `duplicate entry ${key}`, path: [i], input: v });
        seen.add(key);
      });
    });
}

const kpiName = z.unknown().transform((v, ctx): ProviderKpi => {
  if (typeof v === 'string' && isProviderKpi(v)) return v;
  const allowed = PROVIDER_KPIS.join(', ');
  if (typeof v === 'string' && (WEB_KPIS as readonly string[]).includes(v)) {
    return fail(ctx, v, `"${v}" is a web KPI (per journey family, not per provider) and cannot be used in a contract; use one of ${allowed}`);
  }
  if (v === undefined) return fail(ctx, v, 'is required');
  return fail(ctx, v, `unknown KPI ${describeValue(v)}; use one of ${allowed}`);
});

/** Bounds a KPI can take: rates in [0, 1], csat_avg in [1, 5], the others ≥ 0. */
function checkBound(kpi: ProviderKpi, bound: Decimal, key: 'min' | 'max', ctx: z.core.$RefinementCtx<unknown>): void {
  const [lo, hi, text] = (RATE_KPIS as readonly string[]).includes(kpi)
    ? [ZERO, ONE, 'between 0 and 1']
    : kpi === 'csat_avg'
      ? [ONE, Decimal.fromInteger(5), 'between 1 and 5']
      : [ZERO, null, '>= 0'];
  if (bound.lt(lo) || (hi && bound.gt(hi))) {
    ctx.addIssue({ code: 'custom', path: [key], input: bound.toString(), message: `must be ${text} for ${kpi} (got ${bound})` });
  }
}

function exactlyOneBound(g: { kpi: ProviderKpi; min?: Decimal | undefined; max?: Decimal | undefined }, ctx: z.core.$RefinementCtx<unknown>): void {
  if ((g.min === undefined) === (g.max === undefined)) {
    ctx.addIssue({ code: 'custom', input: g, message: 'must have exactly one of min or max' });
    return;
  }
  if (g.min !== undefined) checkBound(g.kpi, g.min, 'min', ctx);
  if (g.max !== undefined) checkBound(g.kpi, g.max, 'max', ctx);
}

const boundValue = decimal();

const gate = strict({ kpi: kpiName, min: boundValue.optional(), max: boundValue.optional() })
  .superRefine(exactlyOneBound)
  .transform((g): KpiGate => ({ kpi: g.kpi, min: g.min ?? null, max: g.max ?? null }));

const gateList = (nonEmptyList: boolean) =>
  z.array(gate, { error: expect('a list of {kpi, min | max}') }).superRefine((l, ctx) => {
    if (nonEmptyList && l.length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty', input: l });
  });

const threshold = strict({
  kpi: kpiName,
  min: boundValue.optional(),
  max: boundValue.optional(),
  window: enumOf(THRESHOLD_WINDOWS),
  min_samples: integer(1).default(1),
  clear_margin: decimal({ min: ZERO, what: 'a number >= 0' }).default(ZERO),
})
  .superRefine(exactlyOneBound)
  .transform(
    (t): KpiThreshold => ({
      kpi: t.kpi,
      min: t.min ?? null,
      max: t.max ?? null,
      window: t.window,
      min_samples: t.min_samples,
      clear_margin: t.clear_margin,
    }),
  );

const channelCents = strict({ PHONE: cents.optional(), CHAT: cents.optional(), EMAIL: cents.optional(), MESSAGING: cents.optional() }).transform(
  (m) => {
    const out: Partial<Record<Channel, number>> = {};
    for (const ch of ChannelValues) if (m[ch] !== undefined) out[ch] = m[ch];
    return out;
  },
);

const family = str.refine((s) => FAMILY_RE.test(s), {
  error: (iss) => `must be an intent family, lowercase [a-z0-9_] without dots (got ${describeValue(iss.input)})`,
});

const detectionSchema = strict({
  repeat_window: duration(true).optional(),
  switch_window: duration(true).optional(),
  switch_outcomes: uniqueList(enumOf(JourneyOutcomeValues), { nonEmpty: true }).optional(),
  switch_to_channels: uniqueList(enumOf(ChannelValues), { nonEmpty: true }).optional(),
  match_intent_family: bool.optional(),
  allowed_lateness: duration(false).optional(),
}).transform(
  (d): DetectionConfig => ({
    repeat_window_ms: d.repeat_window ?? DEFAULT_DETECTION_CONFIG.repeat_window_ms,
    switch_window_ms: d.switch_window ?? DEFAULT_DETECTION_CONFIG.switch_window_ms,
    switch_outcomes: (d.switch_outcomes as JourneyOutcome[] | undefined) ?? [...DEFAULT_DETECTION_CONFIG.switch_outcomes],
    switch_to_channels: (d.switch_to_channels as Channel[] | undefined) ?? [...DEFAULT_DETECTION_CONFIG.switch_to_channels],
    match_intent_family: d.match_intent_family ?? DEFAULT_DETECTION_CONFIG.match_intent_family,
    allowed_lateness_ms: d.allowed_lateness ?? DEFAULT_DETECTION_CONFIG.allowed_lateness_ms,
  }),
);

/** Top level; each contract is validated on its own (see parse.ts) so one bad contract does not hide the others. */
export const rootSchema = strict({
  timezone: requiredTimezone,
  detection: detectionSchema.optional(),
  ledger_start: date.optional(),
  service_level_seconds: integer(0).default(DEFAULT_SERVICE_LEVEL_SECONDS),
  contracts: z.array(z.unknown(), { error: expect('a list of contracts') }),
});

/**
 * Just what the cross-contract rules need, read leniently, so that overlaps and duplicate ids
 * are reported even when another field of the same contract is invalid.
 */
export const contractKeysSchema = z
  .looseObject({
    id: str,
    provider_id: str,
    valid_from: date,
    valid_to: date,
    scope: z.looseObject({ intent_families: z.array(z.unknown()) }).optional(),
  })
  .refine((c) => c.valid_from <= c.valid_to)
  .transform((c) => ({
    id: c.id,
    provider_id: c.provider_id,
    valid_from: c.valid_from,
    valid_to: c.valid_to,
    families: (c.scope?.intent_families ?? []).filter((f): f is string => typeof f === 'string'),
  }));
export type ContractKeys = z.output<typeof contractKeysSchema>;

/** `topTimezone`, `topLedgerStart`: the file's top-level values, for contracts without their own. */
export function contractSchema(topTimezone: string, topLedgerStart: string | null = null) {
  return strict({
    id: str.refine((s) => CONTRACT_ID_RE.test(s), {
      error: (iss) =>
        `must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit (got ${describeValue(iss.input)})`,
    }),
    provider_id: nonEmpty('provider id').refine((s) => s !== RESERVED_PROVIDER_ID, {
      error: `must not be "${RESERVED_PROVIDER_ID}": it is reserved for the aggregate rows of all providers`,
    }),
    currency: str
      .refine((s) => CURRENCY_RE.test(s), { error: (iss) => `must be a 3-letter ISO 4217 code such as EUR (got ${describeValue(iss.input)})` })
      .default(DEFAULT_CURRENCY),
    valid_from: date,
    valid_to: date,
    timezone: timezone.optional(),
    ledger_start: date.optional(),
    scope: strict({ intent_families: uniqueList(family, { nonEmpty: true }) }).optional(),
    transactional: strict({ per_contact_cents: channelCents.optional(), per_minute_cents: channelCents.optional() }).optional(),
    gainshare: strict({
      cost_per_contact_cents: cents,
      baseline: strict({ repeat_rate: share.optional(), switch_rate: share.optional() }).optional(),
      provider_share: share,
      painshare: bool.default(false),
      monthly_cap_cents: cents.optional(),
      quality_gate: gateList(false).default([]),
    }).optional(),
    per_customer: strict({
      monthly_fee_cents: cents.optional(),
      won_customer_bonus_cents: cents.optional(),
      quality_malus: strict({ pct, gate: gateList(true) }).optional(),
      min_active_customers: integer(0).optional(),
    })
      .superRefine((pc, ctx) => {
        // Both are computed from the monthly fee; without one they could never cost anything.
        for (const key of ['quality_malus', 'min_active_customers'] as const) {
          if (pc[key] !== undefined && pc.monthly_fee_cents === undefined) {
            ctx.addIssue({ code: 'custom', path: [key], input: pc[key], message: 'needs per_customer.monthly_fee_cents (it is computed from the fee)' });
          }
        }
      })
      .optional(),
    upsell: strict({ commission_pct: pct }).optional(),
    kpi_thresholds: z
      .array(threshold, { error: expect('a list of thresholds') })
      .superRefine((list, ctx) => {
        // Alert state is kept per provider, KPI and window: two rules there would fight over it.
        const seen = new Map<string, number>();
        list.forEach((t, i) => {
          const key = `${t.kpi}/${t.window}`;
          const first = seen.get(key);
          if (first !== undefined) {
            ctx.addIssue({ code: 'custom', path: [i], input: t, message: `duplicate threshold for ${t.kpi} over ${t.window} (also kpi_thresholds[${first}])` });
          } else seen.set(key, i);
        });
      })
      .default([]),
  })
    .superRefine((c, ctx) => {
      if (c.valid_from > c.valid_to) {
        ctx.addIssue({ code: 'custom', path: ['valid_to'], input: c.valid_to, message: `must not be before valid_from ${c.valid_from} (got ${c.valid_to})` });
      }
    })
    .transform(
      (c): Contract => ({
        id: c.id,
        provider_id: c.provider_id,
        currency: c.currency,
        valid_from: c.valid_from,
        valid_to: c.valid_to,
        timezone: c.timezone ?? topTimezone,
        ledger_start: c.ledger_start ?? topLedgerStart,
        scope: c.scope ? { intent_families: c.scope.intent_families } : null,
        transactional: c.transactional
          ? { per_contact_cents: c.transactional.per_contact_cents ?? {}, per_minute_cents: c.transactional.per_minute_cents ?? {} }
          : null,
        gainshare: c.gainshare
          ? {
              cost_per_contact_cents: c.gainshare.cost_per_contact_cents,
              baseline: { repeat_rate: c.gainshare.baseline?.repeat_rate ?? null, switch_rate: c.gainshare.baseline?.switch_rate ?? null },
              provider_share: c.gainshare.provider_share,
              painshare: c.gainshare.painshare,
              monthly_cap_cents: c.gainshare.monthly_cap_cents ?? null,
              quality_gate: c.gainshare.quality_gate,
            }
          : null,
        per_customer: c.per_customer
          ? {
              monthly_fee_cents: c.per_customer.monthly_fee_cents ?? null,
              won_customer_bonus_cents: c.per_customer.won_customer_bonus_cents ?? null,
              quality_malus: c.per_customer.quality_malus ?? null,
              min_active_customers: c.per_customer.min_active_customers ?? null,
            }
          : null,
        upsell: c.upsell ? { commission_pct: c.upsell.commission_pct } : null,
        kpi_thresholds: c.kpi_thresholds,
      }),
    );
}
