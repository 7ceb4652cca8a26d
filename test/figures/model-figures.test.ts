import { strict as assert } from 'node:assert';
import { createRng } from '../../src/core/rng.js';
import { fusedRows, rankingInputFromPrediction, representationFigure } from '../../src/figures/model-figures.js';

describe('figures/model-figures', () => {
  const services = ['a', 'b', 'c'];
  const culpritProb = Float32Array.from([0.5, 0.3, 0.2, 0.1, 0.8, 0.1]);

  it('takes one window\'s culprit probabilities and its true culprit for Fig. 6', () => {
    const input = rankingInputFromPrediction(services, { culpritProb }, 1, 2, 'title');
    assert.deepEqual(input.probabilities.map((p) => Number(p.toFixed(3))), [0.1, 0.8, 0.1]);
    assert.equal(input.trueCulprit, 'c');
    assert.equal(input.title, 'title');
    assert.equal(rankingInputFromPrediction(services, { culpritProb }, 0, -1).trueCulprit, undefined);
    assert.throws(() => rankingInputFromPrediction(services, { culpritProb }, 2, 0), /field: position[\s\S]*\[0, 1\]/);
    assert.throws(() => rankingInputFromPrediction(['a', 'b', 'c', 'd'], { culpritProb }, 0, 0), /multiple of 4/);
  });

  it('extracts H_F rows by position', () => {
    const fused = Float32Array.from([1, 2, 3, 4, 5, 6]);
    assert.deepEqual(fusedRows({ fused, fusedDim: 2 }, [2, 0]).map((r) => Array.from(r)), [[5, 6], [1, 2]]);
    assert.throws(() => fusedRows({ fused, fusedDim: 2 }, [3]), /positions/);
  });

  it('embeds each variant with seeded t-SNE: well separated root causes give 1-NN accuracy 1, one panel each', () => {
    const rng = createRng(5);
    const cluster = (cx: number, n: number) => Array.from({ length: n }, () => Array.from({ length: 8 }, (_, j) => (j === 0 ? cx : 0) + rng.normal() * 0.1));
    const rows = [...cluster(0, 12), ...cluster(10, 12)];
    const rootCauses = [...Array(12).fill('x'), ...Array(12).fill('y')] as string[];
    const sets = [{ variant: 'Eadro', rows, rootCauses }, { variant: 'w/o logs', rows, rootCauses }];
    const a = representationFigure(sets, { tsneIterations: 200 });
    assert.equal(a.panels.length, 2);
    assert.equal(a.figure.data.length, 4); // two causes x two panels
    const title = JSON.stringify(a.figure.layout['annotations']);
    assert.match(title, /Eadro.*1-NN accuracy 1\.00 \(n=24\)/);
    const b = representationFigure(sets, { tsneIterations: 200 });
    assert.deepEqual(a.panels[0]!.points, b.panels[0]!.points, 'seeded: same layout twice');
    assert.throws(() => representationFigure([{ variant: 'v', rows, rootCauses: ['x'] }]), /differ in length/);
  });
});
