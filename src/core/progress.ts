/**
 * Progress bars for long work. On a terminal they redraw in place (cli-progress) on stderr; elsewhere
 * (CI, pipes, notebooks, tests) they print a line at every tenth of the work, so logs stay short.
 * `EADRO_QUIET=1` silences them.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Advance by n units (default 1), optionally updating the payload text (e.g. loss). */
  tick(n?: number, status?: string): void;
  /** Finish the bar (prints the final state). */
  stop(): void;
}

const quiet = (): boolean => process.env['EADRO_QUIET'] === '1';

export function createProgress(label: string, total: number): Progress {
  if (quiet() || total <= 0) return { tick: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY && process.env['CI'] !== 'true') {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted} {status}`,
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { status: '' });
    return {
      tick: (n = 1, status) => bar.increment(n, status === undefined ? {} : { status }),
      stop: () => bar.stop(),
    };
  }
  let done = 0;
  let nextReport = 0.1;
  const started = Date.now();
  return {
    tick: (n = 1, status) => {
      done += n;
      if (done / total >= nextReport) {
        while (done / total >= nextReport) nextReport += 0.1;
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        process.stderr.write(`${label}: ${done}/${total} (${secs} s)${status ? ` ${status}` : ''}\n`);
      }
    },
    stop: () => undefined,
  };
}
