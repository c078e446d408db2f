// `cxg stack up|down|status`: the local development and CI stack, from packages (no Docker).
import type { Command } from 'commander';
import { DEFAULT_PORTS, stackEnv, StackError, stackArtifacts, stackDown, stackStatus, stackUp, type ServiceStatus } from '@cxg/stack';

// the defaults, as @cxg/platform defines them (an empty environment: no variable set)
const D = stackEnv({});
const SERVICES_HELP = `
Services and the variables that point at them (set a variable to use another port or an outside service):
  kafka       KAFKA_BROKERS        ${D.KAFKA_BROKERS}  Apache Kafka 4.4 in KRaft mode, one node (controller on
                                                   127.0.0.1:${DEFAULT_PORTS.kafkaController}); ports: CXG_KAFKA_PORT, CXG_KAFKA_CONTROLLER_PORT
  registry    SCHEMA_REGISTRY_URL  ${D.SCHEMA_REGISTRY_URL}  Apicurio Registry 3.3 (Confluent API),
                                   global compatibility BACKWARD, schemas kept in an H2 file; ports:
                                   CXG_REGISTRY_PORT, CXG_REGISTRY_MANAGEMENT_PORT (health, default ${DEFAULT_PORTS.registryManagement})
  redis       REDIS_URL            ${D.REDIS_URL}  reused when it answers PING, else redis-server
                                   is started (append-only file under .cxg/stack/redis)
  clickhouse  CLICKHOUSE_URL       chdb://<repo>/.cxg/clickhouse  embedded, nothing to start; an http(s)
                                   URL is checked with /ping

Needs: Java 17+ (Kafka), Java 21+ (Apicurio Registry; CXG_REGISTRY_JAVA_HOME picks one), Maven on the
first run (downloads from Maven Central into \${XDG_CACHE_HOME:-~/.cache}/cx-gainshare), redis-server
unless a Redis already answers. State, logs and pid files: <repo>/.cxg/stack. More: tools/stack/README.md`;

function fail(command: string, e: unknown): void {
  const msg = e instanceof StackError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`cxg stack ${command}: ${msg}\n`);
  process.exitCode = 1;
}

const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function table(rows: ServiceStatus[]): string {
  const head = ['SERVICE', 'URL', 'STATE', 'PID', 'STARTED BY US', 'DETAIL'];
  const body = rows.map((r) => [r.service, r.url, r.state, r.pid === undefined ? '-' : String(r.pid), r.startedByUs ? 'yes' : 'no', r.detail ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

/** 0 when every service is healthy (or embedded), 3 when one is not (like `systemctl status`). */
function statusCode(rows: ServiceStatus[]): number {
  return rows.every((r) => r.state === 'healthy' || r.state === 'embedded') ? 0 : 3;
}

export function register(program: Command): void {
  const stack = program
    .command('stack')
    .description('run the local stack (Kafka, schema registry, Redis; ClickHouse embedded) from packages, without Docker')
    .addHelpText('after', SERVICES_HELP);

  stack
    .command('up')
    .description('start whatever is not running yet and wait until every service is healthy (idempotent)')
    .option('--json', 'print the resolved environment as JSON instead of KEY=value lines')
    .addHelpText(
      'after',
      `
Progress goes to stderr; stdout gets the environment, so a shell can take it over:
  eval "$(cxg stack up | sed 's/^/export /')"
A second \`up\` starts nothing and returns in well under a second. The first one downloads Kafka and
Apicurio Registry with Maven (about 215 MB, once). CXG_STACK_TIMEOUT (seconds, default 240) bounds the
wait for each service.`,
    )
    .action(async (opts: { json?: boolean }) => {
      try {
        const env = await stackUp({ log: progress });
        process.stdout.write(opts.json ? `${JSON.stringify(env, null, 2)}\n` : Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
      } catch (e) {
        fail('up', e);
      }
    });

  stack
    .command('down')
    .description('stop what `cxg stack up` started (by its pid files); a Redis it found running keeps running')
    .addHelpText('after', '\nData stays in <repo>/.cxg/stack; delete that folder after `down` for a clean slate.')
    .action(async () => {
      try {
        const results = await stackDown({ log: progress });
        for (const r of results) process.stdout.write(`${r.service}: ${r.result === 'not ours' ? 'nothing of ours running' : r.result}\n`);
      } catch (e) {
        fail('down', e);
      }
    });

  stack
    .command('status')
    .description('check every service now and print service, url, state, pid and whether we started it')
    .option('--json', 'print JSON: {services: [{service, url, state, pid, startedByUs, managed, detail}], kafkaVersion, apicurioVersion, cache}')
    .addHelpText('after', '\nExit status: 0 when every service is healthy (ClickHouse embedded counts), 3 otherwise.')
    .action(async (opts: { json?: boolean }) => {
      try {
        const rows = await stackStatus();
        if (opts.json) {
          const a = stackArtifacts();
          process.stdout.write(`${JSON.stringify({ services: rows, kafkaVersion: a.kafkaVersion, apicurioVersion: a.apicurioVersion, cache: a.cache }, null, 2)}\n`);
        } else {
          process.stdout.write(`${table(rows)}\n`);
        }
        process.exitCode = statusCode(rows);
      } catch (e) {
        fail('status', e);
      }
    });
}
