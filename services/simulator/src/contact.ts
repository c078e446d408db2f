// One assisted contact: timings, outcome, survey and sale, from the channel and provider profile.
import type { Channel, ContactEvent, ContactOutcome } from '@cxg/engine';
import type { IdSource } from './ids.ts';
import { CHANNELS, OUTCOMES, type Lognormal } from './params.ts';
import type { ProviderProfile } from './providers.ts';
import { clamp, Weighted, type Rng } from './rng.ts';
import type { IntentFamily } from './taxonomy.ts';

export interface ContactPlan {
  readonly customerId: string;
  readonly provider: ProviderProfile;
  readonly channel: Channel;
  readonly family: IntentFamily;
  /** Full intent code. */
  readonly intent: string;
  readonly startedAt: number;
  /** Probability that this contact, if answered, leaves the issue open. */
  readonly repeatProbability: number;
}

export interface BuiltContact {
  readonly event: ContactEvent;
  /** Answered but the issue stays open: the customer will come back with the same family. */
  readonly repeats: boolean;
}

const OUTCOME_IF_REPEAT = new Weighted<ContactOutcome>(OUTCOMES.willRepeat);
const OUTCOME_IF_RESOLVED = new Weighted<ContactOutcome>(OUTCOMES.resolved);
const CSAT_RESOLVED = new Weighted(OUTCOMES.csatResolved.map((w, i) => [i + 1, w] as const));
const CSAT_UNRESOLVED = new Weighted(OUTCOMES.csatUnresolved.map((w, i) => [i + 1, w] as const));
const SALE_CENTS = new Weighted<number>(OUTCOMES.saleCents);
const AGENTS_PER_PROVIDER = 60;

export function duration(rng: Rng, d: Lognormal, scale = 1): number {
  return Math.round(clamp(rng.lognormal(d.median * scale, d.sigma), d.min, d.max));
}

export function buildContact(rng: Rng, ids: IdSource, plan: ContactPlan): BuiltContact {
  const ch = CHANNELS[plan.channel];
  const { provider } = plan;
  const wait = duration(rng, ch.wait, provider.waitScale);
  const patience = rng.exponential(ch.patienceMean);
  const eventId = ids.event();
  const contactId = ids.contact();
  const queue = `${plan.family.family}-${plan.channel.toLowerCase()}`;

  if (patience < wait) {
    // Literal objects in schema field order: spreads are slow in V8 and this is the hot path.
    const event: ContactEvent = {
      event_id: eventId,
      contact_id: contactId,
      customer_id: plan.customerId,
      provider_id: provider.id,
      agent_id: null,
      channel: plan.channel,
      queue,
      intent: plan.intent,
      started_at: plan.startedAt,
      answered_at: null,
      ended_at: plan.startedAt + Math.max(1000, Math.round(patience)),
      outcome: 'ABANDONED',
      csat: null,
      sale_cents: 0,
    };
    return { event, repeats: false };
  }

  const answeredAt = plan.startedAt + wait;
  const handle = duration(rng, ch.handle, provider.ahtScale * plan.family.ahtFactor);
  const repeats = rng.chance(plan.repeatProbability);
  const outcome = (repeats ? OUTCOME_IF_REPEAT : OUTCOME_IF_RESOLVED).draw(rng);
  const csat = rng.chance(ch.csatResponse) ? shiftCsat(rng, (repeats ? CSAT_UNRESOLVED : CSAT_RESOLVED).draw(rng), provider.csatShift) : null;
  // An open issue rarely ends in a sale.
  const saleP = (plan.family.salesProne ? OUTCOMES.saleProne : OUTCOMES.saleOther) * ch.salesFactor * provider.salesFactor * (repeats ? 0.5 : 1);
  const sale = rng.chance(saleP) ? SALE_CENTS.draw(rng) : 0;
  const event: ContactEvent = {
    event_id: eventId,
    contact_id: contactId,
    customer_id: plan.customerId,
    provider_id: provider.id,
    agent_id: `${provider.id}-agent-${String(rng.int(1, AGENTS_PER_PROVIDER)).padStart(3, '0')}`,
    channel: plan.channel,
    queue,
    intent: plan.intent,
    started_at: plan.startedAt,
    answered_at: answeredAt,
    ended_at: answeredAt + handle,
    outcome,
    csat,
    sale_cents: sale,
  };
  return { event, repeats };
}

function shiftCsat(rng: Rng, score: number, shift: number): number {
  if (!rng.chance(Math.abs(shift))) return score;
  return clamp(score + Math.sign(shift), 1, 5);
}
