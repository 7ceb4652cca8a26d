import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRng } from '../../src/core/rng.js';
import { exportNpy, loadNpy, loadNpyCounts, readNpyMeta } from '../../src/windows/export.js';
import { npyHeader, readNpy, writeNpyFloat32, writeNpyInt64 } from '../../src/windows/npy.js';
import type { WindowDataset } from '../../src/windows/types.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-npy-'));
}

function smallDataset(): WindowDataset {
  const rng = createRng(7);
  const W = 5;
  const N = 3;
  const T = 4;
  const K = 2;
  const E = 6;
  return {
    nodes: ['a', 'b', 'c'],
    edges: [[0, 1, 1], [0, 0, 2]],
    edgeDirection: 'callee->caller',
    T,
    metricNames: ['cpu', 'mem'],
    eventNum: E,
    W,
    logs: Float32Array.from({ length: W * N * E }, () => rng.next()),
    metrics: Float32Array.from({ length: W * N * T * K }, () => rng.normal()),
    traces: Float32Array.from({ length: W * N * T }, () => rng.next() * 50),
    labels: Int32Array.from([-1, 0, 2, -1, 1]),
    meta: {
      start: Float64Array.from([1650000000, 1650000001, 1650000002, 1650000003, 1650000004]),
      runId: ['r1', 'r1', 'r2', 'r2', 'r2'],
      episodeId: Int32Array.from([0, 0, 1, 1, 2]),
      faultType: ['', 'cpu', 'loss', '', 'cpu'],
      episodeService: ['a', 'a', 'c', 'c', 'b'],
    },
    normalization: 'none',
  };
}

describe('windows/npy + export', () => {
  it('header is NPY 1.0, padded to a multiple of 64 bytes, ending in a newline', () => {
    for (const shape of [[3], [2, 3, 4, 5], [117000, 27, 10, 7]]) {
      const h = npyHeader('<f4', shape);
      assert.equal(h.length % 64, 0);
      assert.deepEqual([...h.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      assert.equal(h.readUInt16LE(8), h.length - 10);
      assert.equal(h[h.length - 1], 0x0a);
      assert.match(h.toString('latin1', 10), new RegExp(`'shape': \\(${shape.join(', ')}${shape.length === 1 ? ',' : ''}\\)`));
    }
  });

  it('float32 and int64 arrays round-trip', () => {
    const dir = tmpDir();
    const f = Float32Array.from([1.5, -2, 3.25, Number.MAX_VALUE > 0 ? 1e-30 : 0, 7, 8]);
    writeNpyFloat32(path.join(dir, 'f.npy'), f, [2, 3]);
    const rf = readNpy(path.join(dir, 'f.npy'));
    assert.deepEqual(rf.shape, [2, 3]);
    assert.equal(rf.descr, '<f4');
    assert.deepEqual(Array.from(rf.data), Array.from(f));
    writeNpyInt64(path.join(dir, 'l.npy'), Int32Array.from([-1, 0, 26]), [3]);
    const rl = readNpy(path.join(dir, 'l.npy'));
    assert.equal(rl.descr, '<i8');
    assert.deepEqual(Array.from(rl.data), [-1, 0, 26]);
    assert.equal(fs.statSync(path.join(dir, 'l.npy')).size, 128 + 3 * 8); // this header needs 2 x 64 bytes
  });

  it('rejects a truncated .npy with a named error', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'f.npy');
    writeNpyFloat32(file, new Float32Array(10), [10]);
    fs.truncateSync(file, 64 + 20);
    assert.throws(() => readNpy(file), /Truncated or oversized \.npy data[\s\S]*f\.npy[\s\S]*40 bytes/);
  });

  it('exportNpy -> loadNpy round-trips the whole dataset', () => {
    const dir = tmpDir();
    const ds = smallDataset();
    exportNpy(ds, dir, { split: { train: [0, 1], val: [2], test: [3, 4] }, provenance: { configHash: 'abc' }, modality_mask: { logs: [1, 0, 1] } });
    const back = loadNpy(dir);
    assert.deepEqual(back, ds);
    const meta = readNpyMeta(dir);
    assert.deepEqual(meta.split, { train: [0, 1], val: [2], test: [3, 4] });
    assert.deepEqual(meta.provenance, { configHash: 'abc' });
    assert.deepEqual(meta['modality_mask'], { logs: [1, 0, 1] });
    assert.equal(meta.event_num, 6);
    assert.deepEqual(meta.metric_names, ['cpu', 'mem']);
  });

  it('optional span counts round-trip, and a rewrite without them removes stale ones', () => {
    const dir = tmpDir();
    const ds = smallDataset();
    const counts = { requests: Float32Array.from({ length: 5 * 3 * 4 }, (_, i) => i % 4), errors: new Float32Array(5 * 3 * 4).fill(1) };
    exportNpy(ds, dir, {}, counts);
    assert.deepEqual(loadNpyCounts(dir), counts);
    exportNpy(ds, dir);
    assert.equal(loadNpyCounts(dir), null);
  });

  it('whole traces round-trip; an incomplete or inconsistent set is refused by file and field', () => {
    const dir = tmpDir();
    const ds: WindowDataset = {
      ...smallDataset(),
      traceSet: {
        labels: ['a:op', 'b:op'],
        callPaths: ['a:op', 'a:op > b:op'],
        start: Float64Array.from([1650000000.25, 1650000003.5]),
        spanOffsets: Int32Array.from([0, 2, 3]),
        spanLabel: Int32Array.from([0, 1, 0]),
        spanPath: Int32Array.from([0, 1, 0]),
        spanDurationUs: Float32Array.from([1500, 700, 900]),
        spanError: Uint8Array.from([0, 1, 0]),
        windowOffsets: Int32Array.from([0, 1, 1, 1, 2, 2]),
        windowTraces: Int32Array.from([0, 1]),
      },
    };
    exportNpy(ds, dir);
    assert.deepEqual(loadNpy(dir), ds);
    fs.writeFileSync(path.join(dir, 'trace_vocab.json'), JSON.stringify({ labels: ['a:op'], callPaths: ['a:op', 'a:op > b:op'] }));
    assert.throws(() => loadNpy(dir), /Trace files do not match[\s\S]*trace_span_label\.npy[\s\S]*field: \[1\][\s\S]*0 <= id < 1/);
    fs.rmSync(path.join(dir, 'trace_start.npy'));
    assert.throws(() => loadNpy(dir), /Incomplete trace files/);
    exportNpy(smallDataset(), dir);
    assert.equal(loadNpy(dir).traceSet, undefined, 'a rewrite without traces removes the stale files');
    assert.ok(!fs.existsSync(path.join(dir, 'trace_vocab.json')));
  });

  it('loadNpy names the file whose shape disagrees with meta.json', () => {
    const dir = tmpDir();
    exportNpy(smallDataset(), dir);
    writeNpyFloat32(path.join(dir, 'traces.npy'), new Float32Array(5 * 3 * 4), [5, 3, 4]);
    assert.throws(() => loadNpy(dir), /traces\.npy[\s\S]*expected: \[5, 3, 4, 1\]/);
  });

  const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  const numpyReason = numpy.error !== undefined ? `python3 not runnable (${numpy.error.message})` : numpy.status !== 0 ? 'python3 has no numpy' : null;
  it('files load in NumPy with the right shapes, dtypes and values', function () {
    if (numpyReason !== null) {
      console.log(`    pending: ${numpyReason}`);
      this.skip();
    }
    const dir = tmpDir();
    const ds = smallDataset();
    exportNpy(ds, dir);
    const script = [
      'import numpy as np, json, sys',
      'd = sys.argv[1]',
      "out = {}",
      "for n in ['logs', 'metrics', 'traces', 'labels']:",
      "    a = np.load(f'{d}/{n}.npy')",
      "    out[n] = {'shape': list(a.shape), 'dtype': str(a.dtype), 'sum': float(a.astype(np.float64).sum()), 'first': float(a.flat[0]), 'last': float(a.flat[-1])}",
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as Record<string, { shape: number[]; dtype: string; sum: number; first: number; last: number }>;
    assert.deepEqual(got['logs']!.shape, [5, 3, 6]);
    assert.deepEqual(got['metrics']!.shape, [5, 3, 4, 2]);
    assert.deepEqual(got['traces']!.shape, [5, 3, 4, 1]);
    assert.deepEqual(got['labels']!.shape, [5]);
    assert.equal(got['labels']!.dtype, 'int64');
    assert.equal(got['metrics']!.dtype, 'float32');
    assert.equal(got['labels']!.sum, 1);
    const sum = (a: Float32Array): number => a.reduce((x, y) => x + y, 0);
    assert.ok(Math.abs(got['metrics']!.sum - sum(ds.metrics)) < 1e-3);
    assert.equal(got['metrics']!.first, ds.metrics[0]);
    assert.equal(got['traces']!.last, ds.traces[ds.traces.length - 1]);
    assert.equal(got['logs']!.last, ds.logs[ds.logs.length - 1]);
  });
});
