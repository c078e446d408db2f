// One self-service web journey; its outcome rates come from the journey's intent family.
import type { JourneyOutcome, WebJourneyEvent } from '@cxg/engine';
import { duration } from './contact.ts';
import type { IdSource } from './ids.ts';
import { TRAFFIC } from './params.ts';
import type { Rng } from './rng.ts';
import { JOURNEY_ERROR_CODES, JOURNEY_STEPS, type IntentFamily } from './taxonomy.ts';

export interface JourneyPlan {
  /** null = anonymous session: never linked to a customer. */
  readonly customerId: string | null;
  readonly family: IntentFamily;
  readonly journey: string;
  readonly startedAt: number;
}

export function buildJourney(rng: Rng, ids: IdSource, plan: JourneyPlan): WebJourneyEvent {
  const u = rng.next();
  const { family } = plan;
  const outcome: JourneyOutcome = u < family.webFailed ? 'FAILED' : u < family.webFailed + family.webAbandoned ? 'ABANDONED' : 'COMPLETED';
  const last = JOURNEY_STEPS.length - 1;
  // Customers drop out anywhere before the end; failures happen once they have entered something.
  const step = outcome === 'COMPLETED' ? last : outcome === 'ABANDONED' ? rng.int(0, last - 1) : rng.int(1, last);
  return {
    event_id: ids.event(),
    session_id: ids.session(),
    customer_id: plan.customerId,
    journey: plan.journey,
    started_at: plan.startedAt,
    ended_at: plan.startedAt + duration(rng, TRAFFIC.journeyDuration),
    outcome,
    last_step: JOURNEY_STEPS[step] ?? 'landing',
    error_code: outcome === 'FAILED' ? rng.pick(JOURNEY_ERROR_CODES) : null,
  };
}
