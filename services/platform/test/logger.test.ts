// createLogger writes to stderr, always: a command's stdout is its output (`cxg bench --json | jq`),
// and so a worker, a Kafka client or the simulator logging in the same process never reaches it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const platform = fileURLToPath(new URL('..', import.meta.url));

describe('createLogger', () => {
  it('writes its JSON lines to stderr and nothing to stdout, at any level, secrets redacted', async () => {
    const script = [
      "import { createLogger } from './src/index.ts';",
      "createLogger('bench', 'info').info({ endpoints: { redisUrl: 'redis://u:hunter2@h:1' } }, 'started');",
      "const log = createLogger('detector', 'debug');",
      "log.debug('debug line');",
      "log.warn('warn line');",
    ].join('\n');
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: platform });
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as { worker: string; msg: string; endpoints?: { redisUrl: string } });
    expect(lines.map((l) => `${l.worker} ${l.msg}`)).toEqual(['bench started', 'detector debug line', 'detector warn line']);
    expect(lines[0]!.endpoints!.redisUrl).toBe('[redacted]');
    expect(stderr).not.toContain('hunter2');
  }, 30_000);
});
