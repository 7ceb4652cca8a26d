/**
 * `eadro explain --model DIR (--window I | --time T) [--data PATH]`: for one window, the anomaly
 * probability and the services ranked by culprit probability (the paper's Fig. 6 review), the true
 * culprit marked when the window is labelled.
 */
import type { CommandModule } from 'yargs';
import { initBackend, normalizeBackendRequest } from '../../core/backend.js';
import { EadroError } from '../../core/errors.js';
import { loadSavedModel, modelCliDefaults, parseTime, partOf, windowAtTime, windowsForModel } from '../../experiments/model-cli.js';
import { disposeEadro, predictAsync } from '../../models/eadro/index.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 55;

interface ExplainArgs extends GlobalArgs {
  model: string;
  data?: string;
  window?: number;
  time?: string;
  top: number;
}

export const command: CommandModule<object, ExplainArgs> = {
  command: 'explain',
  describe: 'for one window: anomaly probability and services ranked by culprit probability (paper Fig. 6)',
  builder: (y) =>
    withGlobalOptions(y)
      .option('model', { type: 'string', demandOption: true, describe: 'the --out folder of eadro train' })
      .option('data', { type: 'string', describe: 'other data (window or raw folder); default: the training data' })
      .option('window', { type: 'number', describe: 'window index (0-based, as in the window folder)' })
      .option('time', { type: 'string', describe: 'a time (unix seconds or ISO); the latest-starting window that holds it' })
      .option('top', { type: 'number', default: modelCliDefaults.topServices, describe: 'how many services to list' })
      .example('eadro explain --model results/models/tt --time 2022-04-01T12:00:05Z', '') as never,
  handler: async (args) => {
    if ((args.window === undefined) === (args.time === undefined)) {
      throw new EadroError('Name exactly one window.', { field: '--window / --time', expected: 'either --window <index> or --time <unix seconds | ISO time>' });
    }
    if (!(Number.isInteger(args.top) && args.top >= 1)) throw new EadroError('Expected a positive integer.', { field: '--top', found: String(args.top) });
    await initBackend(normalizeBackendRequest(args.backend));
    const saved = loadSavedModel(args.model);
    try {
      const { windows, dataset, sameData } = await windowsForModel(saved, args.data);
      let w: number;
      if (args.window !== undefined) {
        if (!(Number.isInteger(args.window) && args.window >= 0 && args.window < dataset.W)) {
          throw new EadroError('Window index out of range.', { field: '--window', expected: `an integer in [0, ${dataset.W - 1}]`, found: String(args.window) });
        }
        w = args.window;
      } else {
        const t = parseTime(args.time!);
        const found = windowAtTime(dataset, t);
        if (found === null) {
          let lo = Infinity;
          let hi = -Infinity;
          for (const s of dataset.meta.start) {
            lo = Math.min(lo, s);
            hi = Math.max(hi, s + dataset.T);
          }
          throw new EadroError('No window holds that time.', { field: '--time', expected: `a time within the windows (unix seconds ${lo} to ${hi})`, found: `${args.time} (${t})` });
        }
        w = found;
      }
      const p = await predictAsync(saved.model, dataset, [w]);
      const N = saved.model.dims.N;
      const label = dataset.labels[w] as number;
      const start = dataset.meta.start[w] as number;
      const part = sameData ? partOf(saved.meta.split, w) : 'other data';
      const anomalous = p.anomalyProb[0]! >= saved.meta.threshold;
      console.log(`window ${w} of ${windows.path} (${part}): ${new Date(start * 1000).toISOString()} + ${dataset.T} s, run ${dataset.meta.runId[w]}`);
      console.log(`truth: ${label < 0 ? 'normal' : `faulty, culprit ${dataset.nodes[label]}${dataset.meta.faultType[w] ? ` (${dataset.meta.faultType[w]})` : ''}`}`);
      console.log(`anomaly probability: ${p.anomalyProb[0]!.toFixed(4)} -> ${anomalous ? 'anomalous' : 'normal'} (threshold ${saved.meta.threshold})`);
      console.log(`services by culprit probability${anomalous ? '' : ' (the detector calls this window normal; shown for review)'}:`);
      const top = Math.min(args.top, N);
      for (let r = 0; r < top; r++) {
        const n = p.ranking[r]!;
        console.log(`${String(r + 1).padStart(3)}. ${dataset.nodes[n]!.padEnd(32)} ${p.culpritProb[n]!.toFixed(4)}${n === label ? '  <- true culprit' : ''}`);
      }
      if (label >= 0) {
        const rank = Array.from(p.ranking).indexOf(label) + 1;
        if (rank > top) console.log(`true culprit ${dataset.nodes[label]} is ranked ${rank} of ${N} (${p.culpritProb[label]!.toFixed(4)})`);
      }
    } finally {
      disposeEadro(saved.model);
    }
  },
};
