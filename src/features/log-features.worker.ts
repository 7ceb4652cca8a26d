/**
 * Worker body for log-features.ts (started through log-features.worker.mjs): receives the job once as
 * workerData, then chunks of window starts; answers each with the chunk's [w, N, E] features.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CellComputer, emptyStats, type LogFeatureJob, type WorkerReply, type WorkerRequest } from './log-features.js';

const port = parentPort;
if (port === null) throw new Error('log-features.worker.ts must run as a worker thread');
const job = workerData as LogFeatureJob;
const computer = new CellComputer(job);
const cellSize = job.perService.length * job.E;

port.on('message', (msg: WorkerRequest) => {
  if (msg.kind === 'stop') {
    port.close();
    return;
  }
  try {
    const features = new Float32Array(msg.windowStarts.length * cellSize);
    const stats = emptyStats();
    computer.computeWindows(msg.windowStarts, features, stats);
    const reply: WorkerReply = { kind: 'done', chunk: msg.chunk, features, stats };
    port.postMessage(reply, [features.buffer]);
  } catch (err) {
    const reply: WorkerReply = { kind: 'error', message: (err as Error).stack ?? String(err) };
    port.postMessage(reply);
  }
});
