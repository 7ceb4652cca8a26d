import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openResultsDb } from '../../src/experiments/results-db.js';
import { EadroError } from '../../src/core/errors.js';
import type { StoredRun } from '../../src/experiments/store.js';

// 2 episodes x (2 faulty windows with culprit node 1, 2 normal ones), N = 3
const labels = [1, 1, -1, -1, 1, 1, -1, -1];
const episodes = ['r/0', 'r/0', 'r/0', 'r/0', 'r/1', 'r/1', 'r/1', 'r/1'];
const run = (dir: string, name: string, system: string, flagged: boolean[], ranking: number[][] | null, metrics: Record<string, number | null>): StoredRun =>
  ({
    dir,
    predictions: { storeVersion: 1, nodeCount: 3, windows: labels.map((_, i) => 10 + i), labels, episodes, folds: labels.map(() => 0), anomalyScore: labels.map((l) => (l >= 0 ? 0.9 : 0.1)), predictedAnomalous: flagged, ranking },
    metrics: {
      seed: 3,
      configHash: `${name}-${system}`,
      spec: { dataset: { kind: 'testbed', system, profile: 'quick', seed: 0 }, pipeline: {}, method: { name, variant: 'paper', ablation: 'none' }, protocol: { name: 'temporal' } },
      metrics,
    },
  }) as unknown as StoredRun;

describe('experiments/results-db (DuckDB over a results store)', () => {
  it('loads runs, metrics and test windows; SQL recomputes HR@1 end-to-end per method', async () => {
    const right = labels.map(() => [1, 0, 2]);
    const secondBest = labels.map(() => [0, 1, 2]);
    const db = await openResultsDb([
      run('a', 'eadro', 'TT', labels.map((l) => l >= 0), right, { 'loc.e2e.hr@1': 1, 'det.mcc': null }),
      // flags only episode 0's faulty windows, ranks the culprit second: HR@1 0, rank 2 where flagged
      run('b', 'ms-rf', 'TT', [true, true, false, false, false, false, false, false], secondBest, { 'loc.e2e.hr@1': 0 }),
      run('c', 'n-sigma', 'SN', labels.map(() => true), null, {}),
    ]);
    try {
      assert.deepEqual(db.counts, { runs: 3, metrics: 3, windows: 24 });
      const hr1 = await db.query(`
        SELECT r.method, avg(CASE WHEN w.flagged AND w.culprit_rank = 1 THEN 1.0 ELSE 0.0 END) AS hr1
        FROM windows w JOIN runs r USING (run) WHERE w.label >= 0 AND r.system = 'TT'
        GROUP BY r.method ORDER BY r.method`);
      assert.deepEqual(hr1, [{ method: 'eadro', hr1: 1 }, { method: 'ms-rf', hr1: 0 }]);
      // the stored metric agrees with the recomputation; an undefined metric is NULL
      const m = await db.query(`SELECT run, metric, value FROM metrics ORDER BY run, metric`);
      assert.deepEqual(m, [
        { run: 'a', metric: 'det.mcc', value: null },
        { run: 'a', metric: 'loc.e2e.hr@1', value: 1 },
        { run: 'b', metric: 'loc.e2e.hr@1', value: 0 },
      ]);
      const ranks = await db.query(`SELECT culprit_rank, count(*) AS n FROM windows WHERE run = 'b' GROUP BY ALL ORDER BY ALL NULLS LAST`);
      assert.deepEqual(ranks, [{ culprit_rank: 2, n: 4 }, { culprit_rank: null, n: 4 }], 'rank of the culprit on faulty windows; NULL on normal ones');
      const noRanking = await db.query(`SELECT count(culprit_rank) AS ranked FROM windows WHERE run = 'c'`);
      assert.deepEqual(noRanking, [{ ranked: 0 }], 'a detector without a ranking has no ranks');
      const r = await db.query(`SELECT method, system, protocol, seed, ablation FROM runs WHERE run = 'c'`);
      assert.deepEqual(r, [{ method: 'n-sigma', system: 'SN', protocol: 'temporal', seed: 3, ablation: 'none' }]);
    } finally {
      db.close();
    }
  });

  it('an empty or absent store is an error naming the folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-results-db-'));
    await assert.rejects(openResultsDb(dir), (err: unknown) => err instanceof EadroError && err.message.includes(dir) && /No finished runs/.test(err.message));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
