/** Log template counts per second (src/features/log-counts.ts): known answers, window edges, .npy round trip, bad files. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { countLogEvents, logLinesInWindow } from '../../src/features/log-counts.js';
import { exportNpy, loadNpy, LOG_COUNT_FILES } from '../../src/windows/export.js';
import { writeNpyInt64 } from '../../src/windows/npy.js';
import { latencyDataset } from '../baselines/helpers.js';

const events = (pairs: [number, number][]) => ({ times: Float64Array.from(pairs.map((p) => p[0])), types: Int32Array.from(pairs.map((p) => p[1])) });

describe('features/log-counts', () => {
  // T = 4, E = 3; service a logs template 1 twice at 100.2 and 100.7, template 2 at 103.9 and at 104.0
  // (the next window's first second); service b logs template 0 at 101.5.
  const run = {
    windowStarts: Float64Array.from([100, 102]),
    perService: [events([[100.2, 1], [100.7, 1], [103.9, 2], [104.0, 2]]), events([[101.5, 0]])],
  };

  it('counts the lines of each template per (window, service, second), [start, start + T) per window', () => {
    const c = countLogEvents([run], 4, 3);
    assert.deepEqual(Array.from(c.offsets), [0, 3, 5]);
    // Window 0: a(t=0, e=1) = 2 -> cell 0*12 + 0*3 + 1; a(t=3, e=2) = 1 -> 11; b(t=1, e=0) = 1 -> 12 + 3 + 0.
    assert.deepEqual(Array.from(c.cell.subarray(0, 3)), [1, 11, 15]);
    assert.deepEqual(Array.from(c.count.subarray(0, 3)), [2, 1, 1]);
    // Window 1 starts at 102: a's 103.9 is t = 1, 104.0 is t = 2; b's 101.5 is before it.
    assert.deepEqual(Array.from(c.cell.subarray(3)), [1 * 3 + 2, 2 * 3 + 2]);
    assert.equal(logLinesInWindow(c, 0), 4);
    assert.equal(logLinesInWindow(c, 1), 2);
  });

  it('concatenates runs in order, and a run without events gives empty windows', () => {
    const quiet = { windowStarts: Float64Array.from([500]), perService: [events([]), events([])] };
    const c = countLogEvents([quiet, run], 4, 3);
    assert.deepEqual(Array.from(c.offsets), [0, 0, 3, 5]);
  });

  it('round-trips through the .npy export, and refuses counts that do not fit the window set', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-logcounts-'));
    try {
      const ds = { ...latencyDataset([[[1, 2, 3, 4], [0, 0, 0, 0]], [[1, 2, 3, 4], [0, 0, 0, 0]]], [-1, 0]), eventNum: 3, logs: new Float32Array(2 * 2 * 3) };
      const withCounts = { ...ds, logCounts: countLogEvents([run], 4, 3) };
      exportNpy(withCounts, dir);
      const back = loadNpy(dir);
      assert.deepEqual(back.logCounts, withCounts.logCounts);
      // A set without counts leaves no counts of an earlier one behind.
      exportNpy(ds, dir);
      assert.equal(loadNpy(dir).logCounts, undefined);
      for (const f of LOG_COUNT_FILES) assert.equal(fs.existsSync(path.join(dir, f)), false);
      // Offsets of another window count: refused, naming the file and the shape.
      exportNpy(withCounts, dir);
      writeNpyInt64(path.join(dir, LOG_COUNT_FILES[0]), Int32Array.from([0, 5]), [2]);
      assert.throws(() => loadNpy(dir), (err: Error) => /log_counts_offsets\.npy/.test(err.message) && /\[3\] \(W \+ 1\)/.test(err.message));
      // One file of three: refused.
      fs.rmSync(path.join(dir, LOG_COUNT_FILES[1]));
      assert.throws(() => loadNpy(dir), /Incomplete log counts/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
