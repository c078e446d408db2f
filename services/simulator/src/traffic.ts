// The clean traffic stream: day by day, every customer may change portfolio and open issues; the
// day's records wait in an arrival heap and leave once nothing later-generated can precede them.
// Memory therefore holds one day of records plus open repeat chains, never the whole run.
import type { Channel, CustomerEvent } from '@cxg/engine';
import { ChannelValues, TOPICS } from '@cxg/engine';
import { SimDay } from './calendar.ts';
import { CustomerBase } from './customers.ts';
import { ArrivalHeap } from './heap.ts';
import { IdSource } from './ids.ts';
import { runIssue, type IssueContext } from './issue.ts';
import { buildJourney } from './journey.ts';
import type { SimConfig } from './options.ts';
import { ARRIVAL_DELAY, CHANNELS, LIFECYCLE, TIME, TRAFFIC } from './params.ts';
import { providerProfiles, type ProviderProfile } from './providers.ts';
import { eventTime, type SimEvent } from './record.ts';
import { Rng, Weighted } from './rng.ts';
import { FAMILIES } from './taxonomy.ts';

/** A clean event and the instant it reaches its topic (event time plus a small delay). */
export interface Arrival {
  readonly event: SimEvent;
  readonly arrival: number;
}

export function* traffic(cfg: SimConfig): Generator<Arrival> {
  const rng = new Rng(cfg.seed, 'traffic');
  const ids = new IdSource(cfg.tag);
  const providers = providerProfiles(cfg.providers, cfg.inhouse);
  const base = new CustomerBase(rng, cfg.customers, providers);
  const heap = new ArrivalHeap<SimEvent>();
  const channels = new Weighted(ChannelValues.map((c: Channel) => [c, CHANNELS[c].mix] as const));
  const issueFamilies = new Weighted(FAMILIES.map((f) => [f, f.weight] as const));
  const anonFamilies = new Weighted(FAMILIES.map((f) => [f, f.anonWeight] as const));
  const delays = new Weighted(ARRIVAL_DELAY.map(([w, lo, hi]) => [[lo, hi] as const, w] as const));
  const inhouse = providers.find((p) => p.id === 'inhouse');
  let seq = 0;

  const baseTime = (c: number): number => cfg.startMs + Math.floor((c * LIFECYCLE.baseLoadSpan) / base.baseCount);
  for (let c = 0; c < base.baseCount; c++) base.markBaseActivated(c, baseTime(c));

  const emit = (event: SimEvent): boolean => {
    const t = eventTime(event);
    if (t >= cfg.endMs) return false;
    const [lo, hi] = delays.draw(rng);
    heap.push({ arrival: t + lo + Math.floor(rng.next() * (hi - lo)), seq: seq++, item: event });
    return true;
  };
  const customerEvent = (c: number, provider: ProviderProfile, type: CustomerEvent['type'], atMs: number, won: boolean): void => {
    const value: CustomerEvent = {
      event_id: ids.event(),
      customer_id: CustomerBase.id(c),
      provider_id: provider.id,
      type,
      occurred_at: atMs,
      won_by_provider: won,
    };
    emit({ topic: TOPICS.customers, key: value.customer_id, value });
  };
  const route = (portfolio: ProviderProfile): ProviderProfile => {
    if (providers.length === 1 || rng.chance(TRAFFIC.portfolioRouting)) return portfolio;
    if (inhouse !== undefined && portfolio !== inhouse) return inhouse;
    const others = providers.filter((p) => p !== portfolio);
    return rng.pick(others);
  };

  // The base load is emitted lazily in customer order: 300k activations never sit in the heap.
  let nextBase = 0;
  function* drain(limit: number): Generator<Arrival> {
    for (;;) {
      const top = heap.peek();
      const baseAt = nextBase < base.baseCount ? baseTime(nextBase) : Infinity;
      if (baseAt <= (top?.arrival ?? Infinity) && baseAt < limit) {
        const c = nextBase++;
        const value: CustomerEvent = {
          event_id: ids.event(),
          customer_id: CustomerBase.id(c),
          provider_id: base.initialProvider(c).id,
          type: 'ACTIVATED',
          occurred_at: baseAt,
          won_by_provider: false,
        };
        yield { event: { topic: TOPICS.customers, key: value.customer_id, value }, arrival: baseAt };
        continue;
      }
      if (top === undefined || top.arrival >= limit) return;
      heap.pop();
      yield { event: top.item, arrival: top.arrival };
    }
  }

  const newCount = cfg.customers - base.baseCount;
  for (let d = 0; d < cfg.days; d++) {
    const day = new SimDay(cfg.startMs + d * TIME.D, cfg.timeZone);
    const ctx: IssueContext = { rng, ids, day, channels, route, emit };

    const firstNew = base.baseCount + Math.floor((d * newCount) / cfg.days);
    const endNew = base.baseCount + Math.floor(((d + 1) * newCount) / cfg.days);
    for (let c = firstNew; c < endNew; c++) {
      const t = day.sampleTime(rng);
      const provider = base.activateNew(rng, c, t);
      customerEvent(c, provider, 'ACTIVATED', t, rng.chance(LIFECYCLE.newWonByProvider));
    }

    // Hoisted: this loop runs customers × days times.
    const issueP = cfg.issueRate * day.volume;
    const { churn, move } = LIFECYCLE;
    const lead = TRAFFIC.activationLead;
    for (let c = 0; c < cfg.customers; c++) {
      const activatedAt = base.activatedAt(c);
      if (activatedAt >= day.endMs || base.isGone(c)) continue;
      const earliest = activatedAt + lead;
      const before = base.provider(c);
      let changeAt = Infinity;
      const u = rng.next();
      if (u < churn + move) {
        const t = day.sampleTime(rng);
        if (t > earliest) {
          changeAt = t;
          customerEvent(c, before, 'DEACTIVATED', t, false);
          if (u < churn || providers.length === 1) base.churn(c);
          else customerEvent(c, base.move(rng, c), 'ACTIVATED', t + LIFECYCLE.moveGap, rng.chance(LIFECYCLE.moveWonByProvider));
        }
      }
      // Geometric count: almost always 0 or 1 issue a day, occasionally more.
      for (let n = 0; n < 3 && rng.chance(issueP); n++) {
        const family = issueFamilies.draw(rng);
        const s = day.sampleTime(rng);
        if (s < earliest || (s >= changeAt && base.isGone(c))) continue;
        // Around a move, issues before it belong to the old portfolio and after it to the new one.
        const portfolio = s < changeAt ? before : base.provider(c);
        runIssue(ctx, CustomerBase.id(c), portfolio, family, s < changeAt ? s : Math.max(s, changeAt + LIFECYCLE.moveGap + TRAFFIC.activationLead));
      }
    }

    const anon = Math.floor(cfg.customers * TRAFFIC.anonJourneyRate * day.volume + rng.next());
    for (let i = 0; i < anon; i++) {
      const family = anonFamilies.draw(rng);
      const journey = buildJourney(rng, ids, { customerId: null, family, journey: `${family.family}.${rng.pick(family.intents)}`, startedAt: day.sampleTime(rng) });
      emit({ topic: TOPICS.web, key: journey.session_id, value: journey });
    }

    // Everything generated later starts at or after day.endMs, so earlier arrivals are final.
    yield* drain(day.endMs);
  }
  yield* drain(Infinity);
}
