/** MonitorRank (baselines.md §3.2; dycause_rca main_monitor_rank.py): transitions, a known-root walk, seeding, input errors. */
import { strict as assert } from 'node:assert';
import { monitorRankDefaults, monitorRankRank, monitorRankTransitions } from '../../../src/baselines/localizers/monitor-rank.js';
import type { LocalizerInput } from '../../../src/baselines/localizers/types.js';
import { EadroError } from '../../../src/core/errors.js';
import { accessOf, close, stepFaultChain } from './helpers.js';

describe('localizers/monitor-rank', () => {
  it('defaults carry the reference values', () => {
    assert.deepEqual(monitorRankDefaults, { rho: 0.2, epochs: 10, stepsPerEpoch: 1000 });
  });

  it('builds the transition matrix (hand-checked)', () => {
    // 0 -> 1 -> 2, S = [1, 0.5, 0.8], ρ = 0.2, frontend 0.
    const P = monitorRankTransitions(accessOf(3, [[0, 1], [1, 2]]), [1, 0.5, 0.8], 0, 0.2);
    // Row 0: forward to 1 (S_1 = 0.5), no self-loop at the frontend -> [0, 1, 0].
    assert.deepEqual(P[0], [0, 1, 0]);
    // Row 1: backward to 0 (ρ·S_1 = 0.1), forward to 2 (S_2 = 0.8), self max(0, 0.5 − 0.8) = 0; sum 0.9.
    close(P[1]![0]!, 0.1 / 0.9);
    close(P[1]![1]!, 0);
    close(P[1]![2]!, 0.8 / 0.9);
    // Row 2: backward to 1 (ρ·S_2 = 0.16), self max(0, 0.8 − 0.16) = 0.64; sum 0.8.
    close(P[2]![0]!, 0);
    close(P[2]![1]!, 0.2);
    close(P[2]![2]!, 0.8);
  });

  it('ranks the root first on a generated fault (three data seeds)', () => {
    for (const seed of [1, 2, 3]) {
      const { ranking, scores, info } = monitorRankRank(stepFaultChain(seed), { seed: 7 });
      assert.equal(ranking[0], 3, `data seed ${seed}: ranking ${ranking.join(',')}, counts ${Array.from(scores).join(',')}`);
      let total = 0;
      for (const c of scores) total += c;
      assert.equal(total, info['steps']);
      assert.equal(info['steps'], 10_000); // no dead end on this graph: 10 epochs × 1000 counted steps
    }
  });

  it('is reproducible for a seed and changes with the seed', () => {
    const input = stepFaultChain(4);
    const a = monitorRankRank(input, { seed: 123 });
    const b = monitorRankRank(input, { seed: 123 });
    const c = monitorRankRank(input, { seed: 124 });
    assert.deepEqual(a.ranking, b.ranking);
    assert.deepEqual(Array.from(a.scores), Array.from(b.scores));
    assert.notDeepEqual(Array.from(a.scores), Array.from(c.scores));
  });

  it('teleports at a dead end and ends the epoch; uniform teleport when every S is 0', () => {
    // No edges: the frontend's row is empty (no self-loop there), so every epoch that reaches it teleports.
    const series = [[1, 2, 3, 4], [2, 1, 4, 3]];
    const r = monitorRankRank({ series, access: accessOf(2, []), frontend: 0 }, { seed: 1, epochs: 3, stepsPerEpoch: 5 });
    assert.ok((r.info['teleports'] as number) >= 1);
    assert.equal((r.scores[0] as number) + (r.scores[1] as number), r.info['steps']);
    // A constant frontend: every correlation is NaN (0), all rows are dead ends, 3 epochs = 3 teleports.
    const flat = monitorRankRank({ series: [[5, 5, 5, 5], [2, 1, 4, 3]], access: accessOf(2, [[0, 1]]), frontend: 0 }, { seed: 1, epochs: 3, stepsPerEpoch: 5 });
    assert.equal(flat.info['teleportUniform'], true);
    assert.equal(flat.info['teleports'], 3);
    assert.equal(flat.info['steps'], 0);
    assert.deepEqual(flat.info['nanCorrelations'], [0, 1]);
    assert.deepEqual(flat.ranking, [0, 1]);
  });

  it('refuses bad input and options, naming the field', () => {
    const good = (): LocalizerInput => ({ series: [[1, 2, 3], [3, 1, 2]], access: accessOf(2, [[0, 1]]), frontend: 0 });
    const field = (f: string) => (e: unknown): boolean => e instanceof EadroError && e.details.field === f;
    assert.throws(() => monitorRankRank({ ...good(), series: [[1, 2, 3], [1, 2, 3, 4]] }, { seed: 1 }), field('series[1]'));
    assert.throws(() => monitorRankRank({ ...good(), access: [[0, 1, 0], [0, 0, 0]] }, { seed: 1 }), field('access[0]'));
    assert.throws(() => monitorRankRank({ ...good(), frontend: -1 }, { seed: 1 }), field('frontend'));
    assert.throws(() => monitorRankRank(good(), { seed: -1 }), field('seed'));
    assert.throws(() => monitorRankRank(good(), { seed: 1, rho: Number.NaN }), field('rho'));
    assert.throws(() => monitorRankRank(good(), { seed: 1, epochs: 0 }), field('epochs'));
    assert.throws(() => monitorRankRank(good(), { seed: 1, stepsPerEpoch: 2.5 }), field('stepsPerEpoch'));
  });
});
