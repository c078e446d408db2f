// Ids carry a run tag derived from the simulation arguments, so two different runs produced into
// the same topics never collide (a collision would silently count as a duplicate).
import { hash32 } from './rng.ts';

export function runTag(parts: ReadonlyArray<string | number | boolean>): string {
  return hash32(parts.join('|')).toString(16).padStart(8, '0');
}

export class IdSource {
  private events = 0;
  private contacts = 0;
  private sessions = 0;

  constructor(private readonly tag: string) {}

  event(): string {
    return `ev-${this.tag}-${++this.events}`;
  }

  contact(): string {
    return `ct-${this.tag}-${++this.contacts}`;
  }

  session(): string {
    return `ws-${this.tag}-${++this.sessions}`;
  }

  /** Namespaced ids for injected records, so they never take an id the clean stream uses. */
  injected(kind: 'bad' | 'dup', n: number): { event: string; contact: string } {
    const k = kind === 'bad' ? 'b' : 'd';
    return { event: `ev-${this.tag}-${k}${n}`, contact: `ct-${this.tag}-${k}${n}` };
  }
}
