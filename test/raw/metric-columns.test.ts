import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { eadroMetricColumns } from '../../src/raw/config.js';
import { parseMetricCell, readCsvHeader, resolveMetricColumns } from '../../src/raw/metric-columns.js';
import { tmpDir } from './synth.js';
import { thrown } from './errors.js';

function files(contents: Record<string, string>): string[] {
  const dir = tmpDir('metric-columns');
  return Object.entries(contents).map(([name, text]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  });
}

const auto = { metricColumns: 'auto' as const, metricTimestampColumn: 'timestamp' };

describe('raw/metric-columns', () => {
  it('parseMetricCell: numbers, the missing spellings (NaN), other text (undefined)', () => {
    assert.equal(parseMetricCell('0.5'), 0.5);
    assert.equal(parseMetricCell('-3e2'), -300);
    for (const m of ['', 'nan', 'NaN', 'NAN', 'null', 'NULL', 'None', 'NA', 'N/A', 'inf', '-Infinity', '#N/A']) {
      assert.ok(Number.isNaN(parseMetricCell(m)), m);
    }
    assert.equal(parseMetricCell('running'), undefined);
    assert.equal(parseMetricCell('1.2.3'), undefined);
  });

  it('every file has the 7 Eadro KPIs: exactly those, in their order, other columns listed as unused', () => {
    const header = ['timestamp', 'memory_cache', ...[...eadroMetricColumns].reverse()].join(',');
    const fs2 = files({ 'a.csv': `${header}\n1,${Array(8).fill(1).join(',')}\n`, 'b.csv': `${header}\n1,${Array(8).fill(2).join(',')}\n` });
    const choice = resolveMetricColumns(fs2, auto);
    assert.equal(choice.source, 'eadro');
    assert.deepEqual(choice.columns, eadroMetricColumns);
    assert.deepEqual(choice.dropped, [{ column: 'memory_cache', reason: 'unused', detail: 'the 7 Eadro KPIs are in every file' }]);
  });

  it('otherwise: numeric columns present in every file, first file header order; the rest dropped with the reason', () => {
    const [a, b] = files({
      'a.csv': ',timestamp,cpu,status,mem,gc,empty\n0,1,0.1,ok,5,1,\n1,2,NaN,ok,,2,nan\n',
      'b.csv': ',mem,timestamp,cpu,status,empty\n0,5,1,0.1,ok,\n1,6,2,0.2,degraded,None\n',
    }) as [string, string];
    const choice = resolveMetricColumns([b, a], auto); // order of the argument does not matter
    assert.equal(choice.source, 'inferred');
    assert.deepEqual(choice.columns, ['cpu', 'mem']);
    assert.deepEqual(
      choice.dropped.map((d) => [d.column, d.reason]),
      [['status', 'non-numeric'], ['empty', 'no values'], ['gc', 'missing in some files'], ['', 'unnamed']],
    );
    assert.equal(choice.dropped[0]!.detail, `${a} line 2: "ok"`);
    assert.equal(choice.dropped[2]!.detail, `in 1 of 2 files; absent from ${b}`);
    assert.match(choice.dropped[3]!.detail, /empty header in 2 of 2 files, e\.g\. column 1 of /);
  });

  it('an explicit list is used as given; no numeric column at all is a named error', () => {
    const [a] = files({ 'a.csv': 'timestamp,state\n1,up\n' }) as [string];
    assert.deepEqual(resolveMetricColumns([a], { metricColumns: ['x', 'y'] }), { source: 'configured', columns: ['x', 'y'], dropped: [], files: 1 });
    const err = thrown(() => resolveMetricColumns([a], auto));
    assert.match(err.message, /No numeric KPI column/);
    assert.equal(err.details.file, a);
    assert.equal(err.details.field, 'metricColumns');
    assert.match(err.details.found ?? '', /state \(non-numeric\)/);
  });

  it('no metric file: the Eadro 7 (K unchanged for data without metrics); readCsvHeader reads the first line only', () => {
    assert.deepEqual(resolveMetricColumns([], auto).columns, eadroMetricColumns);
    const [a] = files({ 'a.csv': '\ufefftimestamp, cpu ,"m,em"\r\n1,2,3\n' }) as [string];
    assert.deepEqual(readCsvHeader(a), ['timestamp', 'cpu', 'm,em']);
  });
});
