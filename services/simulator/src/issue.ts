// One customer issue from first touch to resolution: maybe a web journey first, a follow-up call
// after a failed journey, retries after abandoned contacts, and repeat contacts of the same intent
// family while the handling provider leaves the issue open.
import type { Channel, JourneyOutcome } from '@cxg/engine';
import { TOPICS } from '@cxg/engine';
import type { SimDay } from './calendar.ts';
import { buildContact, duration } from './contact.ts';
import type { IdSource } from './ids.ts';
import { buildJourney } from './journey.ts';
import { TRAFFIC } from './params.ts';
import type { ProviderProfile } from './providers.ts';
import type { SimEvent } from './record.ts';
import type { Rng, Weighted } from './rng.ts';
import { intentCode, type IntentFamily } from './taxonomy.ts';

export interface IssueContext {
  readonly rng: Rng;
  readonly ids: IdSource;
  readonly day: SimDay;
  readonly channels: Weighted<Channel>;
  /** Picks the provider that handles one contact of a customer of `portfolio`. */
  route(portfolio: ProviderProfile): ProviderProfile;
  /** Schedules an event; false when it ends after the simulated period (the issue then stops). */
  emit(event: SimEvent): boolean;
}

export function runIssue(ctx: IssueContext, customerId: string, portfolio: ProviderProfile, family: IntentFamily, startedAt: number): void {
  const { rng, ids, day } = ctx;
  let intent = rng.pick(family.intents);
  let t = startedAt;
  let channel: Channel;

  if (rng.chance(family.webFirst)) {
    const journey = buildJourney(rng, ids, { customerId, family, journey: intentCode(family, intent), startedAt: t });
    if (!ctx.emit({ topic: TOPICS.web, key: customerId, value: journey })) return;
    if (!isSwitchOutcome(journey.outcome) || !rng.chance(TRAFFIC.followUp[journey.outcome])) return;
    t = day.awake(journey.ended_at + duration(rng, TRAFFIC.followUpGap), rng);
    channel = 'PHONE';
    if (!rng.chance(TRAFFIC.sameIntent)) intent = rng.pick(family.intents);
  } else {
    channel = ctx.channels.draw(rng);
  }

  let openRounds = 0;
  for (let n = 0; n < TRAFFIC.maxContactsPerIssue; n++) {
    const provider = ctx.route(portfolio);
    const { event, repeats } = buildContact(rng, ids, {
      customerId,
      provider,
      channel,
      family,
      intent: intentCode(family, intent),
      startedAt: t,
      repeatProbability: provider.repeat * TRAFFIC.repeatDecay ** openRounds,
    });
    if (!ctx.emit({ topic: TOPICS.contacts, key: customerId, value: event })) return;
    if (event.answered_at === null) {
      if (!rng.chance(TRAFFIC.retryAfterAbandon)) return;
      t = event.ended_at + duration(rng, TRAFFIC.retryGap);
      continue;
    }
    if (!repeats) return;
    openRounds++;
    t = day.awake(event.ended_at + duration(rng, TRAFFIC.repeatGap), rng);
    if (!rng.chance(TRAFFIC.repeatSameChannel)) channel = ctx.channels.draw(rng);
    if (!rng.chance(TRAFFIC.sameIntent)) intent = rng.pick(family.intents);
  }
}

function isSwitchOutcome(outcome: JourneyOutcome): outcome is 'FAILED' | 'ABANDONED' {
  return outcome !== 'COMPLETED';
}
