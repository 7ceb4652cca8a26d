import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../../src/core/errors.js';
import { normalizeRawConfig, type RawConfig } from '../../src/raw/config.js';
import { readMetricTables, readMetricTablesDetailed } from '../../src/raw/metrics.js';
import { SkipCollector } from '../../src/raw/skips.js';
import { tmpDir } from './synth.js';
import { thrown } from './errors.js';

function metricsDir(files: Record<string, string>): string {
  const dir = path.join(tmpDir('metrics'), 'metrics');
  fs.mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const cfgOf = (p: Partial<RawConfig> = {}): RawConfig => normalizeRawConfig({ metricColumns: ['cpu', 'mem'], ...p });

describe('raw/metrics', () => {
  it('reads 1-s files as they are, with the offset added and no fill', () => {
    const dir = metricsDir({ 'svc-a.csv': 'timestamp,cpu,mem,other\n100,0.1,5,x\n101,0.2,6,y\n102,0.3,7,z\n' });
    const skips = new SkipCollector();
    const { tables, summaries } = readMetricTablesDetailed(dir, cfgOf({ offsets: { spans: 0, logs: 0, metrics: 3600, records: 0 } }), skips);
    assert.equal(tables.length, 1);
    assert.equal(tables[0]!.service, 'svc-a');
    assert.deepEqual([...tables[0]!.timestamps], [3700, 3701, 3702]);
    assert.deepEqual([...tables[0]!.columns['cpu']!], [0.1, 0.2, 0.3]);
    assert.deepEqual([...tables[0]!.columns['mem']!], [5, 6, 7]);
    assert.equal(summaries[0]!.filledSeconds, 0);
    assert.equal(summaries[0]!.intervalSeconds, 1);
    assert.equal(skips.total(), 0);
  });

  it('resamples a 60-s file onto the 1-s grid by forward fill and reports the filled seconds', () => {
    const rows = ['timestamp,mem,cpu'];
    for (let i = 0; i < 5; i++) rows.push(`${1000 + 60 * i},${i * 10},${i}`);
    const dir = metricsDir({ 'api.csv': `${rows.join('\n')}\n` });
    const skips = new SkipCollector();
    const { tables, summaries } = readMetricTablesDetailed(dir, cfgOf(), skips);
    const t = tables[0]!;
    assert.equal(t.timestamps.length, 300); // 5 samples x 60 s
    assert.equal(t.timestamps[0], 1000);
    assert.equal(t.timestamps[299], 1299);
    assert.equal(t.columns['cpu']![59], 0);
    assert.equal(t.columns['cpu']![60], 1);
    assert.equal(t.columns['cpu']![299], 4);
    assert.equal(t.columns['mem']![130], 20);
    assert.equal(summaries[0]!.intervalSeconds, 60);
    assert.equal(summaries[0]!.filledSeconds, 295);
    const fill = skips.reports().find((r) => /forward-filled/.test(r.reason))!;
    assert.equal(fill.count, 295);
    assert.match(fill.reason, /input interval 60 s/);
  });

  it('missing samples (empty, nan, NaN, null, None, Inf) are filled from the previous sample and counted per column, even with onBadInput error', () => {
    const dir = metricsDir({ 'svc.csv': 'timestamp,cpu,mem\n1,nan,5\n2,0.2,NaN\n3,null,Infinity\n4,None,\n5,,8\n6,0.6,-inf\n' });
    const skips = new SkipCollector();
    const { tables, summaries } = readMetricTablesDetailed(dir, cfgOf(), skips);
    const t = tables[0]!;
    // cpu: the first valid value (0.2) stands before it; then sample-and-hold.
    assert.deepEqual([...t.columns['cpu']!], [0.2, 0.2, 0.2, 0.2, 0.2, 0.6]);
    assert.deepEqual([...t.columns['mem']!], [5, 5, 5, 5, 8, 8]);
    assert.deepEqual(summaries[0]!.filledCells, { cpu: 4, mem: 4 });
    assert.equal(summaries[0]!.badCells, 8);
    assert.deepEqual(summaries[0]!.emptyColumns, []);
    const bad = skips.reports().find((r) => /missing KPI sample/.test(r.reason))!;
    assert.equal(bad.count, 8);
    assert.equal(bad.example, 'line 2, column cpu: nan');
  });

  it('other text in a KPI cell: error names file, line and column; with skip it is filled and counted', () => {
    const dir = metricsDir({ 'svc.csv': 'timestamp,cpu,mem\n1,0.1,5\n2,running,5\n3,0.3,7\n' });
    const err = thrown(() => readMetricTables(dir, cfgOf(), new SkipCollector()));
    assert.match(err.message, /not a number/);
    assert.equal(err.details.file, path.join(dir, 'svc.csv'));
    assert.equal(err.details.field, 'line 3, column cpu');
    assert.equal(err.details.found, 'running');
    assert.match(err.details.expected ?? '', /case-insensitive: \(empty\), nan, -nan, \+nan, null, none/);
    const skips = new SkipCollector();
    const { tables, summaries } = readMetricTablesDetailed(dir, cfgOf({ onBadInput: 'skip' }), skips);
    assert.deepEqual([...tables[0]!.columns['cpu']!], [0.1, 0.1, 0.3]);
    assert.deepEqual(summaries[0]!.filledCells, { cpu: 1, mem: 0 });
    assert.equal(skips.reports().find((r) => /non-numeric KPI cell/.test(r.reason))!.example, 'line 3, column cpu: running');
  });

  it('a column with no valid value in a file: zeros, every cell counted, listed in emptyColumns and the skips', () => {
    const dir = metricsDir({ 'svc.csv': 'timestamp,cpu,mem\n1,0.1,\n2,0.2,NaN\n3,0.3,null\n' });
    const skips = new SkipCollector();
    const { tables, summaries } = readMetricTablesDetailed(dir, cfgOf(), skips);
    assert.deepEqual([...tables[0]!.columns['mem']!], [0, 0, 0]);
    assert.deepEqual(summaries[0]!.filledCells, { cpu: 0, mem: 3 });
    assert.deepEqual(summaries[0]!.emptyColumns, ['mem']);
    assert.equal(skips.reports().find((r) => /no valid value at all/.test(r.reason))!.example, 'mem');
  });

  it("'auto' columns outside a build are resolved over the folder's files", () => {
    const dir = metricsDir({
      'a.csv': 'timestamp,cpu,state,mem\n1,0.1,up,5\n2,0.2,up,6\n',
      'b.csv': 'timestamp,mem,cpu,state,extra\n1,5,0.1,up,1\n2,6,0.2,down,2\n',
    });
    const { tables, columns } = readMetricTablesDetailed(dir, normalizeRawConfig(), new SkipCollector());
    assert.deepEqual(columns.columns, ['cpu', 'mem']);
    assert.deepEqual(Object.keys(tables[1]!.columns), ['cpu', 'mem']);
    assert.deepEqual([...tables[1]!.columns['mem']!], [5, 6]);
  });

  it('a missing metrics folder is a named error', () => {
    const dir = path.join(tmpDir('metrics'), 'metrics');
    const err = thrown(() => readMetricTables(dir, cfgOf(), new SkipCollector()));
    assert.match(err.message, /Metrics directory not found/);
    assert.equal(err.details.file, dir);
  });

  it('a configured KPI column absent from a file is a named error', () => {
    const dir = metricsDir({ 'svc.csv': 'timestamp,cpu\n1,0.1\n' });
    const err = thrown(() => readMetricTables(dir, cfgOf(), new SkipCollector()));
    assert.equal(err.details.field, 'mem');
    assert.equal(err.details.file, path.join(dir, 'svc.csv'));
  });

  it('unsorted rows are sorted; two samples in one second keep the last and are counted', () => {
    const dir = metricsDir({ 'svc.csv': 'timestamp,cpu,mem\n3,3,0\n1,1,0\n2,2,0\n2.5,2.5,0\n' });
    const skips = new SkipCollector();
    const [t] = readMetricTables(dir, cfgOf(), skips);
    assert.deepEqual([...t!.columns['cpu']!], [1, 2.5, 3]);
    assert.equal(skips.reports().find((r) => /one second/.test(r.reason))!.count, 1);
  });
});
