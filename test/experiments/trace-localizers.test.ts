/**
 * TBAC, NetMedic and MonitorRank (paper Table III) as methods of the harness: every test window of tiny SN is
 * ranked (given the true anomaly existence), from the mined graph's entry, reproducibly for a seed; they
 * stay out of the detection tables and fill their Table III rows.
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

describe('experiments: TBAC, NetMedic and MonitorRank (paper Table III)', function () {
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

  for (const name of ['tbac', 'netmedic', 'monitor-rank']) {
    it(`${name}: ranks every test window from the graph's entry, flags every window, records its settings`, async () => {
      const r = await run(name, 0);
      assert.equal(r.ranking!.length, split.test.length);
      for (const row of r.ranking!) assert.deepEqual([...row].sort((a, b) => a - b), ds.nodes.map((_, i) => i));
      assert.ok(r.predictedAnomalous.every((f) => f), 'given the true anomaly existence: no detector');
      const info = (r.info as { localizer: Record<string, unknown> }).localizer;
      assert.equal(info['frontend'], 'nginx-web-server');
      assert.deepEqual(info['series'], { historySeconds: 300, fill: 'previous', channel: 'latency' });
    });
  }

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
    const accepts = (id: string, name: string) => tableDefs.find((d) => d.id === id)!.accepts({ name });
    assert.deepEqual(['table1', 'table2', 'table3'].map((id) => accepts(id, 'monitor-rank')), [false, false, true]);
    assert.deepEqual(['table1', 'table2', 'table3'].map((id) => accepts(id, 'n-sigma')), [true, true, true]);
  });
});
