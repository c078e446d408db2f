// A reader that stops early (`cxg rerate … | head -1`) closes the pipe: the next write fails with
// EPIPE, which Node emits as an 'error' on process.stdout and, unhandled, ends the process with a
// stack trace. main.ts installs this once: the command carries on writing into nothing, its
// `finally` blocks run (the ledger is closed), and it exits as it would have, 0 when it did its job.

let closed = false;

/** Whether a reader closed stdout (or stderr) early; a command with more steps to go (demo) stops. */
export const outputClosed = (): boolean => closed;

/** Swallows EPIPE on the streams from now on; any other write error is thrown as before. */
export function quietWhenClosed(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      closed = true;
    });
  }
}
