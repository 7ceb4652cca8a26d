import { strict as assert } from 'node:assert';
import { aggregateRuns } from '../../src/experiments/aggregate.js';
import { episodeMetrics } from '../../src/evaluation/episode-metrics.js';
import { buildPaperTable, tableDefs } from '../../src/experiments/paper-tables.js';
import type { StoredRun } from '../../src/experiments/store.js';

// 4 fault episodes, each 2 faulty windows (culprit node 1) then 2 normal ones, N = 3, windows 10 s apart.
const labels: number[] = [];
const episodes: string[] = [];
const starts: number[] = [];
for (let e = 0; e < 4; e++) {
  labels.push(1, 1, -1, -1);
  episodes.push(...Array<string>(4).fill(`run/${e}`));
  for (let k = 0; k < 4; k++) starts.push(1000 * e + 10 * k);
}
// Episodes 0-2 have a flagged faulty window, episode 3 none: 3 of 4 detected. Episodes 0 and 1 rank the
// culprit first, 2 and 3 second: AC@1 = 1/2, AC@2.. = 1, Avg@5 = (1/2 + 1 + 1 + 1 + 1) / 5 = 0.9.
const flags = labels.map((l, i) => l >= 0 && Math.floor(i / 4) < 3);
const ranking = labels.map((_, i) => (Math.floor(i / 4) < 2 ? [1, 0, 2] : [0, 1, 2]));

function run(seed: number, withRanking: boolean): StoredRun {
  const ep = episodeMetrics({ labels, predictedAnomalous: flags, ranking: withRanking ? ranking : null, episodes, windowStart: starts, windowSeconds: 10, nodeCount: 3 });
  return {
    dir: '',
    predictions: { storeVersion: 1, nodeCount: 3, windows: labels.map((_, i) => i), labels, episodes, folds: labels.map(() => 0), anomalyScore: null, predictedAnomalous: flags, ranking: withRanking ? ranking : null },
    metrics: {
      seed,
      configHash: withRanking ? 'with' : 'without',
      spec: { dataset: { kind: 'testbed', system: 'TT', profile: 'quick', seed: 0 }, pipeline: {}, method: { name: withRanking ? 'ranker' : 'detector' }, protocol: { name: 'temporal' } },
      metrics: ep,
    },
  } as unknown as StoredRun;
}

describe('experiments/aggregate: episode-level intervals', () => {
  it('gives ep.recall, ep.ac@k and ep.avg@5 episode-bootstrap intervals around the run-level values', () => {
    const [g] = aggregateRuns([run(0, true), run(1, true)], { resamples: 400 });
    const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;
    // Point estimates over both seeds equal episode-metrics.ts's values of each run.
    for (const [metric, value] of [['ep.recall', 0.75], ['ep.ac@1', 0.5], ['ep.ac@3', 1], ['ep.avg@5', 0.9]] as const) {
      assert.ok(close(g!.metrics[metric]!.mean as number, value), `${metric} run value`);
      assert.ok(close(g!.ci[metric]!.estimate, value), `${metric} pooled estimate`);
      assert.ok(g!.ci[metric]!.lo <= value + 1e-12 && g!.ci[metric]!.hi >= value - 1e-12, `${metric} interval holds it`);
    }
    // Episodes differ in ep.recall and AC@1, so resampling them moves those; every episode has the
    // culprit within its top 3, so AC@3 is 1 in every resample.
    assert.ok(g!.ci['ep.recall']!.lo < g!.ci['ep.recall']!.hi);
    assert.ok(g!.ci['ep.ac@1']!.lo < 0.5 && g!.ci['ep.ac@1']!.hi > 0.5);
    assert.deepEqual([g!.ci['ep.ac@3']!.lo, g!.ci['ep.ac@3']!.hi], [1, 1]);
    // Table III shows them as its per-episode setting: AC@1 with its interval, AC@3 = 1 [1, 1].
    const table = buildPaperTable(tableDefs.find((d) => d.id === 'table3')!, [g!], [], 'temporal');
    const row = table.rows.find((r) => r[0] === 'ranker' && r[4] === 'per fault episode (AC@k)')!;
    const ci = g!.ci['ep.ac@1']!;
    assert.equal(row[6], `0.500 ± 0.000 [${ci.lo.toFixed(3)}, ${ci.hi.toFixed(3)}]`);
    assert.equal(row[8], '1.000 ± 0.000 [1.000, 1.000]');
  });

  it('a method without rankings gets an ep.recall interval and none for AC@k', () => {
    const [g] = aggregateRuns([run(0, false)], { resamples: 100 });
    assert.ok(Math.abs(g!.ci['ep.recall']!.estimate - 0.75) < 1e-12);
    const ac = g!.ci['ep.ac@1']!;
    assert.ok(Number.isNaN(ac.estimate) && Number.isNaN(ac.lo) && Number.isNaN(ac.hi), JSON.stringify(ac));
    assert.equal(g!.metrics['ep.ac@1']!.mean, null);
  });
});
