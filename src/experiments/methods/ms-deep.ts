/**
 * MS-LSTM and MS-DCC as methods of the harness (paper §V-B2, src/models/ms-baselines/): the multi-source
 * layout is fitted on the split's training windows (channels and their scaling), the model trains with
 * selection on validation (on test only under the reference protocol's leak, as for Eadro), and its own
 * detector decides which test windows are anomalous (paper Table III: "MS-LSTM and MS-DCC used their
 * own detector's output"), at P(anomalous) ≥ 0.5 as Eadro.
 *
 * Method spec: `{ name: 'ms-lstm' | 'ms-dcc', params }`, params overriding MsConfig fields (e.g.
 * `maxEpochs`, `batchSize`, `patience`, `hidden`).
 */
import { activeBackend, initBackend, normalizeBackendRequest } from '../../core/backend.js';
import { resolveMsConfig, type MsEncoder } from '../../models/ms-baselines/config.js';
import { disposeMsModel } from '../../models/ms-baselines/model.js';
import { msHistorySummary, predictMs, trainMs } from '../../models/ms-baselines/train.js';
import { fitMultiSourceLayout, type MultiSourceLayout } from '../../windows/multi-source.js';
import type { Method } from '../method.js';
import { eadroMethodDefaults, predictionScores } from './eadro.js';

/** What a run records of its input channels: how many per source, and the sources that had none. */
export function layoutInfo(layout: MultiSourceLayout): Record<string, unknown> {
  const count = (source: string): number => layout.channels.filter((c) => c.source === source).length;
  return { channels: { kpi: count('kpi'), log: count('log'), latency: count('latency'), total: layout.C }, absentSources: layout.absent };
}

export function msDeepMethod(encoder: MsEncoder): Method {
  const name = `ms-${encoder}`;
  return {
    name,
    description: encoder === 'lstm'
      ? 'MS-LSTM (paper §V-B2): per-service LSTM(64) over early-fused KPI, log-count and latency series, embeddings concatenated, Eadro\'s heads and joint loss'
      : 'MS-DCC (paper §V-B2): per-service dilated causal conv (64 filters, kernel 3) over early-fused KPI, log-count and latency series, embeddings concatenated, Eadro\'s heads and joint loss',
    fitAndEvaluate: async (ds, split, ctx) => {
      const backend = activeBackend() ?? (await initBackend(normalizeBackendRequest(undefined)));
      const config = resolveMsConfig(encoder, ctx.method.params ?? {});
      const layout = fitMultiSourceLayout(ds, split.train);
      for (const line of layout.absent) if (process.env['EADRO_QUIET'] !== '1') process.stderr.write(`${name}: ${line}\n`);
      const selectOn = split.modelSelection === 'test' ? split.test : split.val;
      const trained = await trainMs(ds, layout, { train: split.train, val: selectOn }, config, {
        seed: ctx.seed,
        checkpointDir: `${ctx.workDir}/checkpoints`,
        onEpoch: (e) => ctx.progress(e.epoch, config.maxEpochs, `loss ${e.trainLoss.toFixed(3)} val F1 ${e.valF1.toFixed(3)}`),
      });
      const t0 = process.hrtime.bigint();
      const pred = await predictMs(trained.model, ds, layout, split.test);
      const inferUs = Number(process.hrtime.bigint() - t0) / 1000;
      disposeMsModel(trained.model);
      const scores = predictionScores(pred, ds.nodes.length, eadroMethodDefaults.threshold);
      return {
        windows: [...split.test],
        ...scores,
        inferUsPerWindow: split.test.length > 0 ? inferUs / split.test.length : null,
        backend,
        info: { encoder, config, selectedOn: split.modelSelection, ...layoutInfo(layout), ...msHistorySummary(trained) },
      };
    },
  };
}
