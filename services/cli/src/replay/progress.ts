// A progress bar on stderr for humans; nothing is drawn when stderr is not a terminal, so piped
// and captured output stays clean.
import cliProgress from 'cli-progress';

export interface StepProgress {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

export function stepProgress(title: string, stream: NodeJS.WriteStream = process.stderr): StepProgress {
  if (!stream.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream, format: `${title} [{bar}] {value}/{total} {label}`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label = '') {
      if (!started) {
        bar.start(total, 0, { label });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { label });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
