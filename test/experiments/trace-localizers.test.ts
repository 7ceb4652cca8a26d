/**
 * The trace-based localizers (paper Table III) as methods of the harness: given the true anomaly existence,
 * every faulty test window of tiny SN is ranked from the mined graph's entry (per window or once per fault
 * case), reproducibly for a seed; end to end, N-sigma decides; they stay out of the detection tables and
 * fill their Table III rows.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeSplits, type ProtocolSplit } from '../../src/evaluation/protocols.js';
import { paperRowOf, paperTables, tableDefs } from '../../src/experiments/paper-tables.js';
import { getMethod } from '../../src/experiments/registry.js';
import type { RunResult } from '../../src/experiments/method.js';
import { simulate } from '../../src/testbed/index.js';
import { buildWindowDatasetCached } from '../../src/windows/cache.js';
import type { WindowDataset } from '../../src/windows/types.js';

describe('experiments: the trace-based localizers TBAC, NetMedic, MonitorRank, CloudRanger, DyCause (paper Table III)', function () {
  this.timeout(120_000);
  let root: string;
  let ds: WindowDataset;
  let split: ProtocolSplit;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-loc-'));
    await simulate({ system: 'sn', profile: 'tiny', seed: 0, out: path.join(root, 'raw') });
    ds = (await buildWindowDatasetCached(path.join(root, 'raw'), {}, { noCache: true })).dataset;
    split = makeSplits(ds, { name: 'temporal' }, 0)[0]!;
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const run = async (name: string, seed: number, params: Record<string, unknown> = {}): Promise<RunResult> =>
    (await getMethod(name)).fitAndEvaluate(ds, split, { seed, workDir: path.join(root, name), method: { name, params }, progress: () => undefined });

  for (const name of ['tbac', 'netmedic', 'monitor-rank', 'cloud-ranger', 'dycause']) {
    it(`${name}: ranks every faulty test window from the graph's entry, flags every window, records its settings`, async () => {
      const r = await run(name, 0);
      assert.equal(r.ranking!.length, split.test.length);
      for (const row of r.ranking!) assert.deepEqual([...row].sort((a, b) => a - b), ds.nodes.map((_, i) => i));
      assert.ok(r.predictedAnomalous.every((f) => f), 'given the true anomaly existence: no detector');
      const info = (r.info as { localizer: Record<string, unknown> }).localizer;
      assert.equal(info['frontend'], 'nginx-web-server');
      assert.deepEqual(info['series'], { historySeconds: 300, fill: 'previous', channel: 'latency' });
      const faulty = split.test.filter((w) => ds.labels[w]! >= 0);
      assert.ok(faulty.length > 0 && faulty.length < split.test.length, 'the tiny test split has both kinds of window');
      const perFaultCase = name === 'dycause';
      assert.equal(info['scope'], perFaultCase ? 'fault-case' : 'window');
      const expectedCalls = perFaultCase ? new Set(faulty.map((w) => ds.meta.episodeId[w]!)).size : faulty.length;
      assert.equal(info['rankCalls'], expectedCalls, 'one call per faulty window (or fault case); normal windows are not localized');
      split.test.forEach((w, i) => {
        if (ds.labels[w]! < 0) assert.deepEqual(r.ranking![i], ds.nodes.map((_, n) => n), 'a normal window keeps the index order');
      });
    });
  }

  it("scope 'fault-case': the faulty windows of an episode share one ranking, one call per episode", async () => {
    const r = await run('netmedic', 0, { scope: 'fault-case' });
    const faulty = split.test.map((w, i) => ({ w, i })).filter(({ w }) => ds.labels[w]! >= 0);
    const episodes = new Set(faulty.map(({ w }) => ds.meta.episodeId[w]!));
    const info = (r.info as { localizer: Record<string, unknown> }).localizer;
    assert.equal(info['rankCalls'], episodes.size);
    assert.equal(info['scope'], 'fault-case');
    for (const e of episodes) {
      const rows = faulty.filter(({ w }) => ds.meta.episodeId[w] === e).map(({ i }) => r.ranking![i]);
      for (const row of rows) assert.deepEqual(row, rows[0]);
    }
    // The shared ranking is that of the episode's earliest faulty test window under the window scope.
    const perWindow = await run('netmedic', 0);
    for (const e of episodes) {
      const first = faulty.filter(({ w }) => ds.meta.episodeId[w] === e).sort((a, b) => ds.meta.start[a.w]! - ds.meta.start[b.w]!)[0]!;
      const any = faulty.find(({ w }) => ds.meta.episodeId[w] === e)!;
      assert.deepEqual(r.ranking![any.i], perWindow.ranking![first.i]);
    }
  });

  it("detection 'n-sigma': end to end, N-sigma's decisions and every test window localized; the fault-case scope is refused", async () => {
    const r = await run('tbac', 0, { detection: 'n-sigma' });
    assert.ok(r.predictedAnomalous.some((f) => !f), 'N-sigma leaves some windows unflagged');
    assert.ok(r.anomalyScore !== null);
    const info = r.info as { detector: Record<string, unknown>; localizer: Record<string, unknown> };
    assert.equal(info.localizer['rankCalls'], split.test.length);
    assert.equal(typeof info.detector['n'], 'number', 'N-sigma records the n it chose');
    await assert.rejects(run('tbac', 0, { detection: 'n-sigma', scope: 'fault-case' }), /field: method\.params\.scope/);
    await assert.rejects(run('tbac', 0, { detection: 'eadro' }), /field: method\.params\.detection/);
  });

  it('monitor-rank is reproducible for a seed; a bad parameter is refused by name', async () => {
    const a = await run('monitor-rank', 3);
    const b = await run('monitor-rank', 3);
    assert.deepEqual(a.ranking, b.ranking);
    await assert.rejects(run('tbac', 0, { depth: 3 }), /field: method\.params\.depth[\s\S]*maxDepth/);
    await assert.rejects(run('tbac', 0, { frontend: 'ts-ui' }), /field: method\.params\.frontend/);
  });

  it('fills the Table III rows and stays out of Tables I and II', () => {
    const t3 = Object.keys(paperTables().tableIII_localization);
    assert.equal(paperRowOf({ name: 'tbac' }, t3), 'TBAC');
    assert.equal(paperRowOf({ name: 'monitor-rank' }, t3), 'MonitorRank');
    assert.equal(paperRowOf({ name: 'netmedic' }, t3), 'NetMedic');
    assert.equal(paperRowOf({ name: 'cloud-ranger' }, t3), 'CloudRanger');
    assert.equal(paperRowOf({ name: 'dycause' }, t3), 'DyCause');
    const accepts = (id: string, name: string) => tableDefs.find((d) => d.id === id)!.accepts({ name });
    for (const name of ['monitor-rank', 'cloud-ranger', 'dycause']) assert.deepEqual(['table1', 'table2', 'table3'].map((id) => accepts(id, name)), [false, false, true]);
    assert.deepEqual(['table1', 'table2', 'table3'].map((id) => accepts(id, 'n-sigma')), [true, true, true]);
  });
});
