/**
 * Worker body for log-features.ts (started through log-features.worker.mjs): receives the shared
 * parameters once as workerData, then a run's events (`run`) followed by chunks of that run's window
 * starts; answers each chunk with its [w, N, E] features. The memo lives as long as the worker, across runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CellComputer, emptyStats, type LogFeatureParams, type ServiceEvents, type WorkerReply, type WorkerRequest } from './log-features.js';

const port = parentPort;
if (port === null) throw new Error('log-features.worker.ts must run as a worker thread');
const params = workerData as LogFeatureParams;
const computer = new CellComputer(params);
let perService: ServiceEvents[] | null = null;

port.on('message', (msg: WorkerRequest) => {
  if (msg.kind === 'stop') {
    port.close();
    return;
  }
  if (msg.kind === 'run') {
    perService = msg.perService;
    return;
  }
  try {
    if (perService === null) throw new Error('chunk received before any run');
    const features = new Float32Array(msg.windowStarts.length * perService.length * params.E);
    const stats = emptyStats();
    computer.computeWindows(perService, msg.windowStarts, features, stats);
    const reply: WorkerReply = { kind: 'done', chunk: msg.chunk, features, stats };
    port.postMessage(reply, [features.buffer]);
  } catch (err) {
    const reply: WorkerReply = { kind: 'error', message: (err as Error).stack ?? String(err) };
    port.postMessage(reply);
  }
});
