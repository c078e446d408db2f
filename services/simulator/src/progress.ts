// A progress bar on stderr, only for humans: when stderr is not a terminal (CI, pipes, log files)
// nothing is drawn, so captured output stays clean.
import cliProgress from 'cli-progress';
import type { ProgressSource } from './simulate.ts';

export interface Progress {
  /** Call per record; redraws only every few thousand records. */
  tick(records: number): void;
  stop(): void;
}

const STEPS = 1000;
const EVERY = 4096;
const NONE: Progress = { tick() {}, stop() {} };

export function progressBar(source: ProgressSource | false | undefined, label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!source || !stream.isTTY) return NONE;
  const bar = new cliProgress.SingleBar(
    { stream, format: `${label} [{bar}] {percentage}% | {records} records | {duration_formatted}`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(STEPS, 0, { records: 0 });
  return {
    tick(records) {
      if (records % EVERY === 0) bar.update(Math.floor(source.fraction() * STEPS), { records });
    },
    stop() {
      bar.update(Math.floor(source.fraction() * STEPS));
      bar.stop();
    },
  };
}
