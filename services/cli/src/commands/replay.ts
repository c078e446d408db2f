import type { Command } from 'commander';
import Table from 'cli-table3';
import { ConfigError, detectionSettingsOf, replay, type ReplayRejection, type ReplayResult } from '@cxg/engine';
import { loadContractsConfig, readEndpoints } from '@cxg/platform';
import { progressBar } from '@cxg/simulator';
import { readReplayFiles, UnreadableInputError } from '../replay/ndjson.ts';

interface ReplayOptions {
  events: string[];
  config?: string;
  json?: boolean;
}

/** The SPEC section 6 JSON document; signals keep the fields of its example, in its order. */
export function replayDocument(result: ReplayResult, undecodable: ReplayRejection[]) {
  const rejected = [...result.rejected, ...undecodable].sort((a, b) => a.line - b.line);
  return {
    signals: result.signals.map((s) => ({
      kind: s.kind,
      contact_event_id: s.contact_event_id,
      contact_id: s.contact_id,
      prior_event_id: s.prior_event_id,
      prior_id: s.prior_id,
      customer_id: s.customer_id,
      intent_family: s.intent_family,
      contact_provider_id: s.contact_provider_id,
      prior_provider_id: s.prior_provider_id,
      gap_ms: s.gap_ms,
    })),
    rejected,
    duplicates: result.duplicates,
  };
}

function printTables(doc: ReturnType<typeof replayDocument>, accepted: number): void {
  const kinds = new Table({ head: ['signal', 'contact provider', 'charged to (prior provider)', 'count'] });
  const counts = new Map<string, number>();
  for (const s of doc.signals) {
    const k = `${s.kind}\u0000${s.contact_provider_id}\u0000${s.prior_provider_id ?? '(web journey)'}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const [k, n] of [...counts].sort()) kinds.push([...k.split('\u0000'), n]);
  const reasons = new Table({ head: ['rejected: reason', 'records'] });
  const byReason = new Map<string, number>();
  for (const r of doc.rejected) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  for (const [r, n] of [...byReason].sort()) reasons.push([r, n]);
  console.log(`${accepted} accepted, ${doc.duplicates} duplicates, ${doc.rejected.length} rejected, ${doc.signals.length} signals`);
  console.log(kinds.toString());
  if (byReason.size > 0) console.log(reasons.toString());
}

export function register(program: Command): void {
  program
    .command('replay')
    .description('run the engine over NDJSON event files without Kafka or Redis (SPEC section 6): the order-independent result')
    .requiredOption('--events <file...>', 'NDJSON files, one {"topic": ..., "value": {...}} per line, read in the order given')
    .option('--config <file>', 'contracts YAML (default: CX_CONFIG or config/contracts.yaml)')
    .option('--json', 'print one JSON object {signals, rejected, duplicates} on stdout')
    .addHelpText(
      'after',
      '\nExit codes: 0 when it ran (rejected records are reported, not fatal); 2 for an unreadable file or an invalid config.\nA progress bar is drawn on stderr when it is a terminal.',
    )
    .action(async (opts: ReplayOptions) => {
      try {
        const config = loadContractsConfig(opts.config ?? readEndpoints().configFile);
        let total = 0;
        let done = 0;
        const bar = progressBar({ fraction: () => (total === 0 ? 1 : done / total) }, 'replay');
        const { records, undecodable } = await readReplayFiles(opts.events, (read, size) => {
          done = read;
          total = size;
          bar.tick(4096);
        });
        bar.stop();
        const result = replay(records, { nowMs: Date.now(), settings: detectionSettingsOf(config.detection) });
        const doc = replayDocument(result, undecodable);
        if (opts.json) process.stdout.write(JSON.stringify(doc) + '\n');
        else printTables(doc, result.accepted.length);
      } catch (err) {
        if (err instanceof UnreadableInputError || err instanceof ConfigError) {
          process.stderr.write(`cxg replay: ${(err as Error).message.split('\n').join('; ')}\n`);
          process.exit(2);
        }
        throw err;
      }
    });
}
