/** Intent codes (docs/events.md): lowercase dotted, e.g. `billing.invoice_question`. */
const INTENT_PATTERN = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/;

export function isIntent(code: string): boolean {
  return INTENT_PATTERN.test(code);
}

/** The part before the first dot; the whole code when it has no dot. */
export function family(intent: string): string {
  const dot = intent.indexOf('.');
  return dot < 0 ? intent : intent.slice(0, dot);
}
