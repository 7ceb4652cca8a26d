import { strict as assert } from 'node:assert';
import { createRng, hashString32 } from '../../src/core/rng.js';

describe('core/rng', () => {
  it('gives the same stream for the same seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    for (let i = 0; i < 1000; i++) assert.equal(a.next(), b.next());
  });

  it('gives different streams for different seeds, including neighbours', () => {
    const a = Array.from({ length: 20 }, ((r) => () => r.nextUint32())(createRng(1)));
    const b = Array.from({ length: 20 }, ((r) => () => r.nextUint32())(createRng(2)));
    const same = a.filter((x, i) => x === b[i]).length;
    assert.equal(same, 0);
  });

  it('accepts string seeds and hashes them stably', () => {
    assert.equal(hashString32('abc'), 0x1a47e90b); // FNV-1a 32 of "abc"
    assert.equal(createRng('tt').next(), createRng('tt').next());
    assert.notEqual(createRng('tt').next(), createRng('sn').next());
  });

  it('rejects negative, fractional and non-finite seeds', () => {
    assert.throws(() => createRng(-1), /non-negative integer/);
    assert.throws(() => createRng(1.5), /non-negative integer/);
    assert.throws(() => createRng(Number.NaN), /non-negative integer/);
  });

  it('has uniform draws with mean 1/2 and variance 1/12', () => {
    const r = createRng(7);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      assert.ok(x >= 0 && x < 1);
      s += x;
      s2 += x * x;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    assert.ok(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1 / 12) < 0.002, `variance ${variance}`);
  });

  it('draws normals, exponentials and Poisson counts with the right moments', () => {
    const r = createRng(11);
    const n = 100_000;
    let sn = 0;
    let sn2 = 0;
    let se = 0;
    let sp = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      sn += z;
      sn2 += z * z;
      se += r.exponential(4);
      sp += r.poisson(3.5);
    }
    assert.ok(Math.abs(sn / n) < 0.02);
    assert.ok(Math.abs(sn2 / n - 1) < 0.02);
    assert.ok(Math.abs(se / n - 0.25) < 0.005);
    assert.ok(Math.abs(sp / n - 3.5) < 0.03);
  });

  it('int() covers [0, n) evenly and shuffle() permutes', () => {
    const r = createRng(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `count ${c}`);
    const items = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const shuffled = r.shuffle([...items]);
    assert.deepEqual([...shuffled].sort((a, b) => a - b), items);
    assert.notDeepEqual(shuffled, items);
  });

  it('sample() draws k distinct items uniformly, leaves its input alone and repeats by seed', () => {
    const items = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const r = createRng(4);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const s = r.sample(items, 3);
      assert.equal(new Set(s).size, 3);
      for (const x of s) counts[x]++;
    }
    // each item is in a sample with probability 3/10: 6,000 of 20,000 (sd ~65)
    for (const c of counts) assert.ok(Math.abs(c - 6000) < 330, `count ${c}`);
    assert.deepEqual(items, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(createRng(9).sample(items, 4), createRng(9).sample(items, 4));
    assert.deepEqual([...createRng(9).sample(items, 20)].sort((a, b) => a - b), items, 'k above the length: all items');
  });

  it('forks independent, reproducible substreams', () => {
    const parent = createRng(5);
    const x1 = parent.fork('split').next();
    parent.next(); // draws on the parent do not move a fork
    const x2 = parent.fork('split').next();
    assert.equal(x1, x2);
    assert.notEqual(parent.fork('split').next(), parent.fork('init').next());
  });

  it('weightedIndex follows the weights', () => {
    const r = createRng(9);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[r.weightedIndex([1, 0, 2])]!++;
    assert.equal(counts[1], 0);
    assert.ok(Math.abs(counts[2]! / counts[0]! - 2) < 0.1);
  });
});
