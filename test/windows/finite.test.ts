import { strict as assert } from 'node:assert';
import { assertFiniteInputs } from '../../src/windows/finite.js';
import { EadroError } from '../../src/core/errors.js';
import { makeSyntheticWindows } from '../../src/models/synthetic.js';

describe('windows/finite', () => {
  it('passes finite windows and names the field, window and service of the first non-finite input', () => {
    const ds = makeSyntheticWindows({ N: 4, T: 5, K: 3, E: 2, W: 10, seed: 1 });
    assert.doesNotThrow(() => assertFiniteInputs(ds, [0, 1, 2, 3]));
    // window 2, service 1 (node-major inside a window: [N, T, K]), second 0, KPI 1
    ds.metrics[2 * 4 * 5 * 3 + 1 * 5 * 3 + 1] = Number.NaN;
    assert.doesNotThrow(() => assertFiniteInputs(ds, [0, 1, 3]), 'only the windows asked for are read');
    assert.throws(() => assertFiniteInputs(ds, [0, 2], 'results/windows/tt'), (err: unknown) => {
      assert.ok(err instanceof EadroError);
      assert.match(err.message, /file: results\/windows\/tt/);
      assert.match(err.message, new RegExp(`field: metrics of window 2, service ${ds.nodes[1]}`));
      assert.match(err.message, /found: NaN/);
      return true;
    });
    ds.traces[9 * 4 * 5 + 3 * 5] = Number.POSITIVE_INFINITY;
    assert.throws(() => assertFiniteInputs(ds, [9]), new RegExp(`traces of window 9, service ${ds.nodes[3]}[\\s\\S]*found: Infinity`));
  });
});
