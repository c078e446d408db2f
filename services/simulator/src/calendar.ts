// Daily and weekly traffic pattern in the client's local time. The zone offset is looked up once
// per simulated day (Intl is too slow per event); a DST switch is off by an hour for that day only.
import { HOUR_WEIGHTS, TIME, WEEKDAY_FACTORS } from './params.ts';
import { at, Weighted, type Rng } from './rng.ts';

/** Offset of `timeZone` from UTC at `atMs`, in ms (positive east of Greenwich). */
function zoneOffsetMs(timeZone: string, atMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(atMs);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - (atMs - (atMs % 1000));
}

/** One simulated 24-hour block starting at `startMs`, with its traffic shape. */
export class SimDay {
  readonly endMs: number;
  /** Weekday factor of the day (weekends are quiet). */
  readonly volume: number;
  private readonly offsetMs: number;
  private readonly hours: Weighted<number>;

  constructor(readonly startMs: number, timeZone: string) {
    this.endMs = startMs + TIME.D;
    this.offsetMs = zoneOffsetMs(timeZone, startMs + TIME.D / 2);
    const weekday = new Date(startMs + TIME.D / 2 + this.offsetMs).getUTCDay();
    this.volume = at(WEEKDAY_FACTORS, weekday);
    const blocks: Array<[number, number]> = [];
    for (let h = 0; h < 24; h++) blocks.push([h, at(HOUR_WEIGHTS, this.localHour(startMs + h * TIME.H))]);
    this.hours = new Weighted(blocks);
  }

  /** A time inside the day, more likely in business hours. */
  sampleTime(rng: Rng): number {
    return this.startMs + this.hours.draw(rng) * TIME.H + Math.floor(rng.next() * TIME.H);
  }

  localHour(ms: number): number {
    return Math.floor((((ms + this.offsetMs) % TIME.D) + TIME.D) % TIME.D / TIME.H);
  }

  /** People rarely call back between midnight and 7: move such times into the morning. */
  awake(ms: number, rng: Rng): number {
    const hour = this.localHour(ms);
    if (hour >= 7) return ms;
    const localMidnight = ms - ((((ms + this.offsetMs) % TIME.D) + TIME.D) % TIME.D);
    return localMidnight + 7 * TIME.H + Math.floor(rng.next() * 3 * TIME.H);
  }
}
