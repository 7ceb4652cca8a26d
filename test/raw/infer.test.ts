import { strict as assert } from 'node:assert';
import { defaultLogFormats } from '../../src/raw/config.js';
import { ReadInferenceCollector, formatInference, formatPinSnippet, intervalDistribution } from '../../src/raw/infer.js';
import type { MetricReadSummary } from '../../src/raw/metrics.js';

function summary(file: string, intervalSeconds: number, filledCells: Record<string, number>, emptyColumns: string[] = []): MetricReadSummary {
  const badCells = Object.values(filledCells).reduce((a, b) => a + b, 0);
  return { file, service: file.replace(/\.csv$/, ''), rows: 10, intervalSeconds, gridSeconds: 10 * intervalSeconds, filledSeconds: 0, badCells, filledCells, emptyColumns };
}

describe('raw/infer', () => {
  it('collects intervals, log format counts and filled cells; pins columns, a shared interval and the formats used', () => {
    const c = new ReadInferenceCollector(
      { source: 'inferred', columns: ['cpu', 'mem'], dropped: [{ column: 'state', reason: 'non-numeric', detail: 'a.csv line 2: "up"' }], files: 2 },
      { logFormats: defaultLogFormats, metricIntervalSeconds: 'auto' },
    );
    c.addMetricSummaries('run1', [summary('a.csv', 60, { cpu: 2, mem: 0 }), summary('b.csv', 60, { cpu: 1, mem: 3 }, ['mem'])]);
    c.logFormatCounts['json-lines'] = 5;
    c.logFormatCounts['tt-java'] = 7;
    const inf = c.result();
    assert.deepEqual(inf.filledCells, { cpu: 3, mem: 3 });
    assert.deepEqual(inf.metricFiles[0]!.filledCells, { cpu: 2 }); // zeros left out per file
    assert.deepEqual(inf.logFormats, { 'tt-java': 7, 'json-lines': 5 }); // configured order
    assert.deepEqual(inf.pin.metricColumns, ['cpu', 'mem']);
    assert.equal(inf.pin.metricIntervalSeconds, 60);
    assert.deepEqual(inf.pin.logFormats!.map((f) => f.name), ['tt-java', 'json-lines']);
    assert.deepEqual(inf.pin.logFormats![1]!.fields, defaultLogFormats.find((f) => f.name === 'json-lines')!.fields);
    assert.deepEqual(formatInference(inf), [
      'metric columns: 2 (auto: numeric and present in all 2 files): cpu, mem',
      '  dropped state: non-numeric (a.csv line 2: "up")',
      'metric sampling interval: 60 s in all 2 files (measured per file; resampled to 1 s)',
      'log formats matched: tt-java 7 line(s), json-lines 5 line(s)',
      'KPI cells filled (missing samples, from the neighbouring sample): cpu 3, mem 3',
      '  no value at all (zeros): mem in b.csv',
    ]);
    const snippet = formatPinSnippet(inf);
    assert.deepEqual(JSON.parse(snippet.slice(1).join('\n')), { raw: inf.pin });
  });

  it('several intervals: a distribution, the odd files named, and no interval pinned', () => {
    const c = new ReadInferenceCollector({ source: 'configured', columns: ['cpu'], dropped: [], files: 3 }, { logFormats: defaultLogFormats, metricIntervalSeconds: 'auto' });
    c.addMetricSummaries('r', [summary('a.csv', 1, {}), summary('b.csv', 1, {}), summary('c.csv', 15, {})]);
    const inf = c.result();
    assert.deepEqual(intervalDistribution(inf.metricFiles), [[1, 2], [15, 1]]);
    assert.equal(inf.pin.metricIntervalSeconds, undefined);
    assert.equal(inf.pin.logFormats, undefined);
    const lines = formatInference(inf);
    assert.equal(lines[0], 'metric columns: 1 (configured): cpu');
    assert.equal(lines[1], 'metric sampling interval (measured per file; resampled to 1 s): 1 s in 2 file(s), 15 s in 1 file(s)');
    assert.equal(lines[2], '  15 s: c.csv');
    assert.equal(lines[3], 'log formats matched: none (no log line read)');
    assert.equal(lines[4], 'KPI cells filled (missing samples, from the neighbouring sample): none');
  });
});
