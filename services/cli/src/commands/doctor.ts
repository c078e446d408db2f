// `cxg doctor [--install] [--json]`: what `npm test` and `cxg stack up` need on this machine, checked
// by @cxg/stack (tools/stack/src/doctor.ts); `npm test` and .ci/run run it first.
import type { Command } from 'commander';
import { doctorSummary, formatChecks, runDoctor } from '@cxg/stack';
import { CliError } from '../errors.ts';

const HELP = `
Checks, each with the version and path found, or MISSING and the line that installs it:
  node (package.json "engines"), npm; java >= 17 (Kafka) and java >= 21 (the schema registry), found
  the way \`cxg stack up\` finds them (JAVA_HOME, CXG_REGISTRY_JAVA_HOME, PATH, /usr/lib/jvm/*), not
  needed when KAFKA_BROKERS / SCHEMA_REGISTRY_URL name an outside service; mvn (only while Kafka or the
  registry is not in the download cache); redis-server; promtool, amtool, prometheus and bash (the
  infra and dashboards tests run them); openssl and chromium (the TLS and statement page tests). Then a Redis must answer at REDIS_URL: when nothing does and
  the URL is local, redis-server is started the way \`cxg stack up\` starts it.

Installing: as root with CI set, or with --install, the missing Debian packages are installed
(apt-get update, then apt-get install -y --no-install-recommends, DEBIAN_FRONTEND=noninteractive);
--install without root uses \`sudo -n\`. Otherwise nothing is installed: the table says what to run.

Exit status: 0 when every check passes, 1 when something is missing.`;

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check every prerequisite of npm test and cxg stack (Node, Java, Maven, Redis, Prometheus tools); --install installs what is missing')
    .option('--install', 'install the missing Debian packages (apt-get as root, else sudo -n); as root with CI set this is the default')
    .option('--json', 'print {ok, checks: [{name, neededFor, ok, version, path, note, fix, package}], installed, notInstalled} instead of the table')
    .addHelpText('after', HELP)
    .action(async (opts: { install?: boolean; json?: boolean }) => {
      const report = await runDoctor({ install: opts.install === true, log: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatChecks(report.checks)}\n\n${doctorSummary(report)}\n`);
      if (!report.ok) throw new CliError('a prerequisite is missing', 1, { reported: true });
    });
}
