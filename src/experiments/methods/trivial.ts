/**
 * Trivial baselines as real methods of the harness, so their rows come from the same runner, store
 * and metrics as every other method.
 * - `all-anomalous`: flags every window; ranks nodes uniformly at random (seeded).
 * - `random-guess`: flags each window with probability = the training part's share of faulty
 *   windows (its score is the uniform draw); ranks nodes uniformly at random.
 */
import { createRng } from '../../core/rng.js';
import { allAnomalousDecisions, randomRankings } from '../../evaluation/trivial.js';
import type { Method } from '../method.js';

export const allAnomalousMethod: Method = {
  name: 'all-anomalous',
  description: 'flags every window; random culprit ranking (chance level)',
  fitAndEvaluate: async (ds, split, ctx) => {
    const t0 = process.hrtime.bigint();
    const { anomalyScore, predictedAnomalous } = allAnomalousDecisions(split.test.length);
    const ranking = randomRankings(split.test.length, ds.nodes.length, ctx.seed);
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    return { windows: [...split.test], anomalyScore, predictedAnomalous, ranking, inferUsPerWindow: split.test.length > 0 ? us / split.test.length : null };
  },
};

export const randomGuessMethod: Method = {
  name: 'random-guess',
  description: 'flags windows at random at the training prevalence; random culprit ranking',
  fitAndEvaluate: async (ds, split, ctx) => {
    let faulty = 0;
    for (const i of split.train) if ((ds.labels[i] as number) >= 0) faulty++;
    const prevalence = split.train.length > 0 ? faulty / split.train.length : 0.5;
    const rng = createRng(ctx.seed).fork('random-guess');
    const t0 = process.hrtime.bigint();
    const anomalyScore = split.test.map(() => rng.next());
    // A uniform score above 1 - prevalence flags the window: P(flag) = prevalence, higher = more anomalous.
    const predictedAnomalous = anomalyScore.map((u) => u > 1 - prevalence);
    const ranking = randomRankings(split.test.length, ds.nodes.length, ctx.seed);
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    return {
      windows: [...split.test],
      anomalyScore,
      predictedAnomalous,
      ranking,
      inferUsPerWindow: split.test.length > 0 ? us / split.test.length : null,
      info: { trainPrevalence: prevalence },
    };
  },
};
