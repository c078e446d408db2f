import { InvalidArgumentError, type Command } from 'commander';
import { ChannelValues, LINE_TYPES, exactJson, isInValidity, type LineType } from '@cxg/engine';
import { CUSTOMER_LINES, evidenceFor } from '@cxg/ledger';
import { isPseudonym } from '@cxg/platform';
import { CliError } from '../errors.ts';
import { pseudonymizerFromEnv } from '../pseudonym.ts';
import { CLICKHOUSE_HELP, dateArg, defaultClickHouse, findContract, loadConfig, positiveIntArg, withLedger } from '../replay/ledger-cli.ts';

interface EvidenceOptions {
  contract: string;
  date: string;
  line: LineType;
  channel?: string;
  customer?: string;
  limit: number;
  config?: string;
  clickhouse: string;
  json?: boolean;
}

function lineArg(raw: string): LineType {
  if (!(LINE_TYPES as readonly string[]).includes(raw)) throw new InvalidArgumentError(`expected one of ${LINE_TYPES.join(', ')}`);
  return raw as LineType;
}

function channelArg(raw: string): string {
  if (!(ChannelValues as readonly string[]).includes(raw)) throw new InvalidArgumentError(`expected one of ${ChannelValues.join(', ')}`);
  return raw;
}

/**
 * What `--customer` looks up: a pseudonym as it is; a raw id as its pseudonym under
 * CX_PSEUDONYM_KEY, or as given without the key (with a note on stderr, since in a pseudonymised
 * ledger it then matches nothing).
 */
function customerLookup(id: string): { id: string; looked_up_as: string; key_version: number | null } {
  if (isPseudonym(id)) return { id, looked_up_as: id, key_version: null };
  const p = pseudonymizerFromEnv();
  if (p) return { id, looked_up_as: p.pseudonym(id), key_version: p.version };
  process.stderr.write(
    `cxg evidence: CX_PSEUDONYM_KEY is not set: --customer ${id} is looked up as given; where ids are pseudonymised only a pseudonym (p<n>_...) matches, and none can be computed without the key\n`,
  );
  return { id, looked_up_as: id, key_version: null };
}

const cell = (v: unknown): string => (v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function register(program: Command): void {
  program
    .command('evidence')
    .description('the records behind a ledger line: contacts, signals, journeys or customers it counted')
    .requiredOption('--contract <id>', 'contract id from the contracts YAML')
    .requiredOption('--date <YYYY-MM-DD>', 'the line\'s local date (contract time zone)', dateArg)
    .requiredOption('--line <type>', `line type: ${LINE_TYPES.join(', ')}`, lineArg)
    .option('--channel <channel>', 'for contact_fee and minute_fee: only this channel', channelArg)
    .option('--customer <id>', 'only this customer\'s records: a raw id (mapped to its pseudonym with CX_PSEUDONYM_KEY) or a pseudonym')
    .option('--limit <n>', 'records listed per section (the totals count all)', positiveIntArg, 50)
    .option('--config <file>', 'contracts YAML (default: CX_CONFIG or config/contracts.yaml)')
    .option('--clickhouse <url>', CLICKHOUSE_HELP, defaultClickHouse())
    .option('--json', 'print {contract_id, date, line_type, channel, from, to, lines, sections} as one JSON object')
    .addHelpText(
      'after',
      `
What is listed, for provider p of the contract and local day D ([from, to) in UTC):
  contact_fee, minute_fee   answered contacts of p with ended_at in D (--channel narrows)
  upsell_commission         those with sale_cents > 0
  gainshare_repeat          REPEAT_CONTACT signals with prior_provider_id = p, and p's answered contacts
  gainshare_switch          CHANNEL_SWITCH signals in the contract's scope, and the identified
                            journeys with a switch outcome in scope
  customer_fee              customers whose latest event before the end of D activates them for p
  won_customer_bonus        ACTIVATED events of p won by the provider
  month-close lines         the month's daily lines they were computed from (see the line's basis)
The line itself is printed first with its basis (the counts and rates used).
--customer narrows every section to one customer (not month-close lines). Where customer ids are
pseudonymised (CX_PSEUDONYM_KEY, docs/security.md) the ledger holds only pseudonyms: with the key a
raw id is mapped to its pseudonym and looked up; without it only a pseudonym (p<n>_...) can be asked
for (a raw id is looked up as given, which matches only where ids are not pseudonymised). No key turns
a pseudonym back into the raw id (HMAC is one-way): the key lets its holder look up or check a raw id.
An embedded ClickHouse directory can be open in one process only: stop an accruals worker that
uses it first (only \`cxg statement\` reads through a running worker).

Example:
  cxg evidence --contract c-prov-a-2026 --date 2026-10-14 --line gainshare_repeat --limit 10

Exit codes: 0 printed; 1 invalid arguments; 2 unknown contract, a date outside validity, invalid config or
ledger unavailable.`,
    )
    .action(async (opts: EvidenceOptions) => {
      const config = loadConfig(opts.config);
      const contract = findContract(config, opts.contract);
      // evidenceFor refuses such a date too (RangeError); checked here, it is exit 2 before the ledger is opened
      if (!isInValidity(contract, opts.date)) throw new CliError(`${opts.date} is outside ${contract.id}'s validity ${contract.valid_from}..${contract.valid_to}`, 2);
      const customer = opts.customer === undefined ? null : customerLookup(opts.customer);
      if (customer && !CUSTOMER_LINES.has(opts.line)) throw new CliError(`--customer: ${opts.line} lists the month's daily lines, not customers' records`, 1);
      await withLedger(opts.clickhouse, async (client) => {
        const ev = await evidenceFor(client, config, contract, opts.date, opts.line, {
          limit: opts.limit,
          ...(opts.channel ? { channel: opts.channel } : {}),
          ...(customer ? { customer: customer.looked_up_as } : {}),
        });
        if (opts.json) {
          process.stdout.write(exactJson({ ...ev, ...(customer ? { customer } : {}), lines: ev.lines.map((l) => ({ ...l, basis: JSON.parse(l.basis) as unknown })) }) + '\n');
          return;
        }
        console.log(`${ev.contract_id} ${ev.date} ${ev.line_type}${ev.channel ? ` ${ev.channel}` : ''}: local day ${ev.from} .. ${ev.to} (UTC)`);
        if (customer) console.log(`  customer ${customer.id}${customer.id === customer.looked_up_as ? '' : ` = ${customer.looked_up_as} (its pseudonym under key p${customer.key_version})`}`);
        if (ev.lines.length === 0) console.log('  no ledger line (not rated yet, or after the watermark)');
        for (const l of ev.lines) {
          console.log(`  line ${l.accrual_id}: quantity ${l.quantity}, ${l.amount_cents} cents, ${l.status}`);
          console.log(`  basis ${l.basis}`);
        }
        for (const s of ev.sections) {
          console.log(`\n${s.title}: ${s.total}${s.rows.length < s.total ? ` (first ${s.rows.length})` : ''}`);
          const first = s.rows[0];
          if (!first) continue;
          const head = Object.keys(first);
          const table = [head, ...s.rows.map((r) => head.map((h) => cell(r[h])))];
          const widths = head.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
          for (const r of table) console.log(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}`);
        }
      });
    });
}
