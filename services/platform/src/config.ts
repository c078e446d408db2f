import { readFileSync } from 'node:fs';
import { parseContractsConfig, type ContractsConfig, type DetectionSettings } from '@cxg/engine';

/** Reads and validates the contracts YAML; errors name the file (and, from the parser, the field). */
export function loadContractsConfig(file: string): ContractsConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the contracts config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set CX_CONFIG to its path`, { cause: err });
  }
  return parseContractsConfig(text, file);
}

/** The engine's detection settings from the config's `detection` block. */
export function detectionSettingsOf(config: ContractsConfig): DetectionSettings {
  const d = config.detection;
  return {
    repeatWindowMs: d.repeat_window_ms,
    switchWindowMs: d.switch_window_ms,
    switchOutcomes: d.switch_outcomes,
    switchToChannels: d.switch_to_channels,
    matchIntentFamily: d.match_intent_family,
    allowedLatenessMs: d.allowed_lateness_ms,
  };
}
