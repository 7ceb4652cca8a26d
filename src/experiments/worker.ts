/**
 * Entry point of a grid worker process (forked by runner.ts with `--import tsx`). It receives runs
 * over IPC, executes them one at a time and reports back. When its parent dies (IPC channel closed),
 * it exits at once rather than finishing work nobody will collect.
 */
import { executeRun } from './execute.js';
import { loadExtensions } from './registry.js';
import type { ToWorker, FromWorker } from './runner.js';

function send(msg: FromWorker): void {
  if (process.connected && process.send !== undefined) process.send(msg);
}

process.on('disconnect', () => process.exit(0));

process.on('message', (raw: unknown) => {
  const msg = raw as ToWorker;
  if (msg.type === 'exit') {
    process.disconnect();
    return;
  }
  void (async () => {
    const key = `${msg.run.configHash}/${msg.run.seed}`;
    try {
      await loadExtensions(msg.extensions);
      await executeRun(msg.run, {
        resultsDir: msg.resultsDir,
        progress: (done, total, status) => send({ type: 'progress', key, done, total, status: status ?? '' }),
      });
      send({ type: 'done', key });
    } catch (err) {
      send({ type: 'failed', key, error: err instanceof Error ? err.message : String(err) });
    }
  })();
});

send({ type: 'ready' });
