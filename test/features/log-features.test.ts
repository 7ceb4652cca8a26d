import { strict as assert } from 'node:assert';
import { createRng } from '../../src/core/rng.js';
import { EadroError } from '../../src/core/errors.js';
import { fitHawkesADM4 } from '../../src/features/hawkes.js';
import { computeLogFeatures, computeLogFeaturesOfRuns, computeLogFeaturesWithStats, logFeatureDefaults, type ServiceEvents } from '../../src/features/log-features.js';

const START = 1_650_000_000; // unix seconds, the released data's range

/** Poisson events at `rate` per second with types drawn from `typePool`, millisecond timestamps. */
function randomService(seed: number, duration: number, rate: number, typePool: number[]): ServiceEvents {
  const rng = createRng(seed);
  const times: number[] = [];
  for (let t = rng.exponential(rate); t < duration; t += rng.exponential(rate)) times.push(START + Math.round(t * 1000) / 1000);
  return { times: Float64Array.from(times), types: Int32Array.from(times, () => rng.choice(typePool)) };
}

function windowStarts(count: number, stride = 1): Float64Array {
  return Float64Array.from({ length: count }, (_, w) => START + w * stride);
}

describe('features/log-features', () => {
  it('fits each (window, service) over the types present; absent types and empty cells are 0', async () => {
    const E = 6;
    const perService = [randomService(1, 40, 1.2, [1, 2, 5]), { times: new Float64Array(0), types: new Int32Array(0) }, randomService(2, 40, 0.4, [0, 3])];
    const starts = windowStarts(25);
    const T = 10;
    const { features, stats } = await computeLogFeaturesWithStats(perService, starts, T, E, { workers: 1 });
    assert.equal(features.length, 25 * 3 * E);
    for (let w = 0; w < starts.length; w++) {
      for (let n = 0; n < perService.length; n++) {
        const s = perService[n] as ServiceEvents;
        const cell = features.subarray((w * 3 + n) * E, (w * 3 + n + 1) * E);
        const inside = [...s.times.keys()].filter((i) => (s.times[i] as number) >= (starts[w] as number) && (s.times[i] as number) < (starts[w] as number) + T);
        const present = [...new Set(inside.map((i) => s.types[i] as number))].sort((a, b) => a - b);
        if (inside.length === 0) {
          assert.ok(cell.every((x) => x === 0));
          continue;
        }
        const fit = fitHawkesADM4(
          Float64Array.from(inside, (i) => Math.round(((s.times[i] as number) - (starts[w] as number)) * 1e6) / 1e6),
          Int32Array.from(inside, (i) => present.indexOf(s.types[i] as number)),
          present.length,
          T,
        );
        for (let u = 0; u < E; u++) {
          const k = present.indexOf(u);
          assert.equal(cell[u], k < 0 ? 0 : Math.fround(fit.baseline[k] as number), `w=${w} n=${n} u=${u}`);
        }
      }
    }
    assert.equal(stats.cells, 75);
    assert.ok(stats.emptyCells >= 25, 'the silent service gives empty cells');
    assert.equal(stats.fits + stats.memoHits + stats.emptyCells, stats.cells);
  });

  it('fitting only the present types matches fitting all E types (absent types inert)', () => {
    const rng = createRng(31);
    const E = 7;
    for (let cell = 0; cell < 12; cell++) {
      const n = 5 + rng.int(15);
      const pool = [1 + rng.int(3), 4, 6];
      const times = Float64Array.from({ length: n }, () => Math.round(rng.uniform(0, 10) * 1000) / 1000).sort();
      const types = Int32Array.from({ length: n }, () => rng.choice(pool));
      const present = [...new Set(types)].sort((a, b) => a - b);
      const full = fitHawkesADM4(times, types, E, 10);
      const compact = fitHawkesADM4(times, Int32Array.from(types, (u) => present.indexOf(u)), present.length, 10);
      for (let u = 0; u < E; u++) {
        const k = present.indexOf(u);
        if (k < 0) {
          assert.equal(full.baseline[u], 0);
          continue;
        }
        // Only the random start (and the first pass's stopping test) differ: the largest difference on these
        // cells is 3.6e-7 (on mu of order 0.1-1), so 1e-5 absolute holds with margin.
        const diff = Math.abs((full.baseline[u] as number) - (compact.baseline[k] as number));
        assert.ok(diff < 1e-5, `cell ${cell} type ${u}: ${full.baseline[u]} vs ${compact.baseline[k]}`);
      }
      // The absent rows and columns of the full adjacency are exactly 0.
      for (let u = 0; u < E; u++) {
        for (let v = 0; v < E; v++) {
          if (!present.includes(u) || !present.includes(v)) assert.equal(full.adjacency[u * E + v], 0);
        }
      }
    }
  });

  it('gives identical features with 2 worker threads as in-process (worker path runs under tsx)', async () => {
    const E = 5;
    const perService = [randomService(3, 60, 1, [1, 2, 3]), randomService(4, 60, 0.5, [0, 4]), randomService(5, 60, 2, [1, 4])];
    const starts = windowStarts(45);
    const progress: number[] = [];
    const one = await computeLogFeatures(perService, starts, 10, E, { workers: 1, chunkWindows: 8 });
    const two = await computeLogFeatures(perService, starts, 10, E, { workers: 2, chunkWindows: 8 }, (done, total) => {
      assert.equal(total, 45);
      progress.push(done);
    });
    assert.deepEqual(two, one);
    assert.equal(progress.length, 6);
    assert.equal(Math.max(...progress), 45);
    assert.ok(one.some((x) => x > 0));
  });

  it('computes several runs through one worker pool exactly as one call per run', async () => {
    const E = 6;
    // Three runs of different lengths and service counts' activity; the last one has a service without events.
    const runs = [
      { perService: [randomService(11, 50, 1, [1, 2]), randomService(12, 50, 0.7, [3, 5])], windowStarts: windowStarts(37) },
      { perService: [randomService(13, 30, 2, [0, 4]), randomService(14, 30, 0.3, [2])], windowStarts: windowStarts(11, 2) },
      { perService: [randomService(15, 70, 1.5, [1, 3, 5]), { times: new Float64Array(0), types: new Int32Array(0) }], windowStarts: windowStarts(58) },
    ];
    const separate = await Promise.all(runs.map((r) => computeLogFeatures(r.perService, r.windowStarts, 10, E, { workers: 1 })));
    const progress: number[] = [];
    // Chunks of 8 windows mix runs across the two workers: each worker switches runs several times.
    const pooled = await computeLogFeaturesOfRuns(runs, 10, E, { workers: 2, chunkWindows: 8 }, (done, total) => {
      assert.equal(total, 37 + 11 + 58);
      progress.push(done);
    });
    assert.equal(pooled.features.length, 3);
    pooled.features.forEach((f, r) => assert.deepEqual(f, separate[r]));
    assert.equal(Math.max(...progress), 106);
    assert.equal(pooled.stats.cells, 106 * 2);
    const inProcess = await computeLogFeaturesOfRuns(runs, 10, E, { workers: 1, chunkWindows: 8 });
    inProcess.features.forEach((f, r) => assert.deepEqual(f, separate[r]));
    // Features can be written into a caller's array (a view into one tensor for all runs).
    const whole = new Float32Array((37 + 11 + 58) * 2 * E);
    let offset = 0;
    const views = runs.map((r) => {
      const view = whole.subarray(offset, offset + r.windowStarts.length * 2 * E);
      offset += view.length;
      return { ...r, out: view };
    });
    const written = await computeLogFeaturesOfRuns(views, 10, E, { workers: 2, chunkWindows: 8 });
    written.features.forEach((f, r) => assert.equal(f, views[r]!.out));
    assert.deepEqual(whole, Float32Array.from([...separate[0]!, ...separate[1]!, ...separate[2]!]));
    await assert.rejects(computeLogFeaturesOfRuns([{ ...runs[0]!, out: new Float32Array(3) }], 10, E), /runs\[0\]\.out/);
    // A bad run is named by its position in the list.
    const bad = { perService: [{ times: Float64Array.from([START + 2, START + 1]), types: Int32Array.from([1, 1]) }], windowStarts: windowStarts(2) };
    await assert.rejects(computeLogFeaturesOfRuns([runs[0]!, bad], 10, E), (e: unknown) => e instanceof EadroError && /runs\[1\]\.perService\[0\]\.times\[1\]/.test(e.message));
  });

  it('memoises cells whose window-relative events are identical', async () => {
    // Events at k + 0.25 (type 1) and k + 0.5 (type 2) every second: every stride-1 window sees the same pattern.
    const times: number[] = [];
    const types: number[] = [];
    for (let k = 0; k < 40; k++) {
      times.push(START + k + 0.25, START + k + 0.5);
      types.push(1, 2);
    }
    const service = { times: Float64Array.from(times), types: Int32Array.from(types) };
    const { features, stats } = await computeLogFeaturesWithStats([service], windowStarts(30), 10, 3, { workers: 1 });
    assert.equal(stats.fits, 1);
    assert.equal(stats.memoHits, 29);
    for (let w = 1; w < 30; w++) assert.deepEqual(features.subarray(w * 3, w * 3 + 3), features.subarray(0, 3));
    assert.equal(features[0], 0);
    assert.ok((features[1] as number) > 0 && (features[2] as number) > 0);
  });

  it("'reference' mode reproduces the official code: absolute end time, fake t=0 events, mu ~6e-10 or 0", async function () {
    this.timeout(20000);
    const E = 4;
    const T = 10;
    const perService = [randomService(6, 20, 1.5, [1, 2]), { times: new Float64Array(0), types: new Int32Array(0) }];
    const starts = windowStarts(4, 3);
    const reference = await computeLogFeatures(perService, starts, T, E, { workers: 1, mode: 'reference' });
    const corrected = await computeLogFeatures(perService, starts, T, E, { workers: 1 });
    for (let w = 0; w < starts.length; w++) {
      const endTime = (starts[w] as number) + T;
      for (let n = 0; n < 2; n++) {
        for (let u = 0; u < E; u++) {
          const x = reference[(w * 2 + n) * E + u] as number;
          if (u === 0 || u === 3 || n === 1) {
            // Absent types (0 and 3 always; all of them for the silent service) hold only the fake event at
            // t = 0: mu = 1 / endTime, about 6e-10.
            assert.equal(x, Math.fround(1 / endTime));
          } else {
            // Present types: with T ~ 1.65e9 each EM pass multiplies mu by ~1e-9 (lambda is dominated by the
            // excitation from the fake events), so mu collapses to (float32) zero.
            assert.ok(x >= 0 && x < 1e-20, `present type ${u}: ${x}`);
          }
        }
      }
      // The corrected features of the busy service are rates of order 0.1-1 per second.
      const busy = corrected.subarray(w * 2 * E, w * 2 * E + E);
      assert.ok((busy[1] as number) > 0.01 && (busy[2] as number) > 0.01);
    }
    // The shortcut for empty cells (mu = 1 / endTime for every type) is what the full fit gives.
    const endTime = START + T;
    const full = fitHawkesADM4(new Float64Array(E), Int32Array.from({ length: E }, (_, u) => u), E, endTime);
    for (let u = 0; u < E; u++) assert.ok(Math.abs((full.baseline[u] as number) * endTime - 1) < 1e-12);
  });

  it('rejects bad input with named errors', async () => {
    const ok = { times: Float64Array.from([START + 1]), types: Int32Array.from([1]) };
    await assert.rejects(computeLogFeatures([{ times: ok.times, types: Int32Array.from([7]) }], windowStarts(2), 10, 3), (e: unknown) => e instanceof EadroError && /perService\[0\]\.types\[0\]/.test(e.message));
    await assert.rejects(computeLogFeatures([{ times: Float64Array.from([START + 2, START + 1]), types: Int32Array.from([1, 1]) }], windowStarts(2), 10, 3), /ascending/);
    await assert.rejects(computeLogFeatures([ok], windowStarts(2), 0, 3), /field: T/);
    await assert.rejects(computeLogFeatures([ok], windowStarts(2), 10, 3, { mode: 'absolute' as never }), /mode/);
    await assert.rejects(computeLogFeatures([ok], Float64Array.from([Number.NaN]), 10, 3), /windowStarts\[0\]/);
  });

  it('documents its defaults', () => {
    assert.equal(logFeatureDefaults.mode, 'corrected');
    assert.equal(logFeatureDefaults.decay, 3);
    assert.ok(logFeatureDefaults.workers >= 1 && logFeatureDefaults.workers <= 2);
  });
});
