/**
 * `eadro evaluate --model DIR [--data PATH]`: score a trained model with the shared metrics
 * (src/evaluation/metrics.ts) on the test part of its saved split, or on every window of other data.
 * Writes metrics.json and manifest.json into --out (default DIR/evaluation).
 */
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { initBackend, normalizeBackendRequest } from '../../core/backend.js';
import { EadroError } from '../../core/errors.js';
import { writeJsonAtomic } from '../../core/io.js';
import { finishManifest, startManifest } from '../../core/manifest.js';
import { evaluateModel, loadSavedModel, windowsForModel } from '../../experiments/model-cli.js';
import { disposeEadro } from '../../models/eadro/index.js';
import type { MetricRecord } from '../../evaluation/metrics.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 50;

interface EvaluateArgs extends GlobalArgs {
  model: string;
  data?: string;
}

const show = (m: MetricRecord, key: string, digits = 3): string => {
  const v = m[key];
  return v === null || v === undefined ? 'n/a' : v.toFixed(digits);
};

export const command: CommandModule<object, EvaluateArgs> = {
  command: 'evaluate',
  describe: 'score a trained model (eadro train --out DIR) on its test split, or on all windows of other data',
  builder: (y) =>
    withGlobalOptions(y)
      .option('model', { type: 'string', demandOption: true, describe: 'the --out folder of eadro train' })
      .option('data', { type: 'string', describe: 'other data (window or raw folder): every window is scored; default: the training data\'s test split' })
      .example('eadro evaluate --model results/models/tt-ref', 'metrics on the saved test split') as never,
  handler: async (args) => {
    const started = new Date();
    const backend = await initBackend(normalizeBackendRequest(args.backend));
    const saved = loadSavedModel(args.model);
    try {
      const { windows, dataset, sameData } = await windowsForModel(saved, args.data);
      const indices = sameData ? saved.meta.split.test : Array.from({ length: dataset.W }, (_, i) => i);
      if (indices.length === 0) {
        throw new EadroError('Nothing to score: the saved split has no test windows.', { file: saved.dir, field: 'split.test', hint: 'pass --data to score other windows, or train with a protocol that leaves a test part' });
      }
      const scope = sameData ? `test split of ${saved.meta.split.protocol}` : 'all windows';
      const evaluation = await evaluateModel(saved, dataset, indices);
      const out = args.out ?? path.join(saved.dir, 'evaluation');
      const manifest = startManifest({
        command: 'evaluate',
        config: { model: saved.dir, modelConfig: saved.meta.config, data: windows.path, scope, threshold: saved.meta.threshold },
        seeds: [saved.meta.seed],
        protocol: sameData ? saved.meta.split.protocol : null,
        backend,
        datasets: [windows.info],
        startedAt: started,
      });
      writeJsonAtomic(path.join(out, 'metrics.json'), {
        model: saved.dir,
        data: windows.path,
        scope,
        windows: indices.length,
        variant: saved.meta.config.variant,
        without: saved.meta.config.without,
        protocol: sameData ? saved.meta.split.protocol : null,
        modelSelection: saved.meta.split.modelSelection,
        threshold: saved.meta.threshold,
        inferTiming: 'wall time of predict in batches, after a one-window warm-up; microseconds per window',
        metrics: evaluation.metrics,
      });
      finishManifest(manifest, out);
      const m = evaluation.metrics;
      console.log(`model: ${saved.dir} (variant ${saved.meta.config.variant}${saved.meta.config.without.length ? `, without ${saved.meta.config.without.join(',')}` : ''}, epoch ${saved.meta.bestEpoch})`);
      console.log(`scored: ${indices.length} windows (${scope}) of ${windows.path}; ${show(m, 'loc.faultyWindows', 0)} faulty`);
      if (sameData && saved.meta.split.modelSelection === 'test') {
        console.log('warning: the checkpoint was selected on these test windows (reference-random protocol, as the official code does): optimistic numbers');
      }
      console.log(`detection: F1 ${show(m, 'det.f1')}, MCC ${show(m, 'det.mcc')}, PR-AUC ${show(m, 'det.prAuc')}, precision ${show(m, 'det.precision')}, recall ${show(m, 'det.recall')}`);
      for (const mode of ['e2e', 'oracle'] as const) {
        console.log(`localization (${mode === 'e2e' ? 'end-to-end' : 'oracle detection'}): HR@1 ${show(m, `loc.${mode}.hr@1`)}, HR@3 ${show(m, `loc.${mode}.hr@3`)}, HR@5 ${show(m, `loc.${mode}.hr@5`)}, ` +
          `NDCG@3 ${show(m, `loc.${mode}.ndcg@3`)}, NDCG@5 ${show(m, `loc.${mode}.ndcg@5`)}`);
      }
      console.log(`official code's formulas (inflated, for comparison only): F1 ${show(m, 'ref.f1')}, HR@1 ${show(m, 'ref.hr@1')}, HR@3 ${show(m, 'ref.hr@3')}, HR@5 ${show(m, 'ref.hr@5')}`);
      console.log(`inference: ${show(m, 'inferUsPerWindow', 1)} us/window (${backend.name})`);
      console.log(`written: ${path.join(out, 'metrics.json')}, manifest.json`);
    } finally {
      disposeEadro(saved.model);
    }
  },
};
