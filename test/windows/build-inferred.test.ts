import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eadroMetricColumns } from '../../src/raw/config.js';
import { formatPinSnippet } from '../../src/raw/infer.js';
import { simulate } from '../../src/testbed/index.js';
import { buildWindowDataset, formatBuildReport, type BuildReport, type WindowConfig } from '../../src/windows/build.js';
import type { WindowDataset } from '../../src/windows/types.js';
import { rewriteMetricsAsUserTelemetry, USER_TELEMETRY } from '../raw/synth.js';
import { FIXTURE, writeFixture } from './fixture.js';

// One worker thread: the data is tiny, and the test machine's cores are shared.
const base: Partial<WindowConfig> = { hawkes: { mode: 'corrected', workers: 1 } };

/** Bit-identical window datasets (typed arrays compared as bytes, so NaN == NaN). */
function assertSameDataset(a: WindowDataset, b: WindowDataset): void {
  assert.deepEqual(a.nodes, b.nodes);
  assert.deepEqual(a.metricNames, b.metricNames);
  assert.deepEqual(a.edges, b.edges);
  assert.equal(a.W, b.W);
  assert.equal(a.eventNum, b.eventNum);
  for (const key of ['metrics', 'traces', 'logs', 'labels'] as const) {
    const x = a[key];
    const y = b[key];
    assert.ok(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)), key);
  }
  assert.deepEqual(a.meta, b.meta);
}

describe("windows/build: users' telemetry without a raw config (issue 25)", function () {
  this.timeout(180_000);
  let custom: string;
  let ds: WindowDataset;
  let report: BuildReport;

  before(async () => {
    custom = writeFixture();
    rewriteMetricsAsUserTelemetry(custom);
    ({ dataset: ds, report } = await buildWindowDataset(custom, base));
  });

  it('infers the numeric columns shared by every metric file and drops the others, saying why', () => {
    assert.deepEqual(ds.metricNames, USER_TELEMETRY.columns);
    assert.equal(ds.metrics.length, ds.W * FIXTURE.services.length * 10 * USER_TELEMETRY.columns.length);
    const mc = report.inferred!.metricColumns;
    assert.equal(mc.source, 'inferred');
    assert.equal(mc.files, 6);
    assert.deepEqual(mc.columns, USER_TELEMETRY.columns);
    assert.deepEqual(
      mc.dropped.map((d) => [d.column, d.reason]),
      [[USER_TELEMETRY.textColumn, 'non-numeric'], [USER_TELEMETRY.partialColumn, 'missing in some files'], ['', 'unnamed']],
    );
    assert.match(mc.dropped[0]!.detail, /line 2: "ok"$/);
    assert.match(mc.dropped[1]!.detail, /^in 2 of 6 files; absent from /);
  });

  it('reports the 30-s interval of every file, the log format matched and the filled cells per column', () => {
    const inf = report.inferred!;
    assert.deepEqual([...new Set(inf.metricFiles.map((f) => f.intervalSeconds))], [30]);
    assert.deepEqual(inf.logFormats, { 'tt-java': report.templates.linesLearned + report.templates.linesMatched });
    const files = inf.metricFiles.length;
    assert.deepEqual(inf.filledCells, {
      cpu_seconds: USER_TELEMETRY.missingPerFile.cpu_seconds * files,
      memory_rss_bytes: USER_TELEMETRY.missingPerFile.memory_rss_bytes * files,
      open_fds: USER_TELEMETRY.missingPerFile.open_fds * files,
    });
    const text = formatBuildReport(report).join('\n');
    assert.match(text, /^metric columns: 3 \(auto: numeric and present in all 6 files\): cpu_seconds, memory_rss_bytes, open_fds$/m);
    assert.match(text, /^ {2}dropped status: non-numeric \(.*line 2: "ok"\)$/m);
    assert.match(text, /^ {2}dropped gc_pause_ms: missing in some files \(in 2 of 6 files; absent from .*\)$/m);
    assert.match(text, /^ {2}dropped \(unnamed\): unnamed \(empty header in 6 of 6 files, e\.g\. column 1 of .*\)$/m);
    assert.match(text, /^metric sampling interval: 30 s in all 6 files \(measured per file; resampled to 1 s\)$/m);
    assert.match(text, /^log formats matched: tt-java \d+ line\(s\)$/m);
    assert.match(text, /^KPI cells filled \(missing samples, from the neighbouring sample\): cpu_seconds 12, memory_rss_bytes 6, open_fds 6$/m);
  });

  it('the KPI windows hold the 30-s samples held for 30 s, missing ones filled from the previous sample', () => {
    // The fault-free run's first window of ts-order-service: rows 0 (t0) and, from second 30 on, row 1 (cpu NaN).
    const n = ds.nodes.indexOf('ts-order-service');
    const K = USER_TELEMETRY.columns.length;
    const w = ds.meta.runId.indexOf(FIXTURE.normalRun) + 25; // seconds 25..34 of the run
    const at = (t: number, k: number): number => ds.metrics[((w * ds.nodes.length + n) * 10 + t) * K + k]!;
    for (let t = 0; t < 10; t++) assert.equal(at(t, 0), at(0, 0)); // cpu: row 1 is NaN -> row 0 held
    assert.equal(at(4, 2), 100); // open_fds row 0
    assert.equal(at(5, 2), 101); // second 30: row 1
  });

  it('the pin snippet is valid raw config that reproduces the build exactly', async () => {
    const lines = formatPinSnippet(report.inferred!);
    assert.match(lines[0]!, /merge into the "raw" section/);
    const pinned = JSON.parse(lines.slice(1).join('\n')) as { raw: Partial<WindowConfig['raw']> };
    assert.deepEqual(pinned.raw.metricColumns, USER_TELEMETRY.columns);
    assert.equal(pinned.raw.metricIntervalSeconds, 30);
    assert.deepEqual(pinned.raw.logFormats!.map((f) => f.name), ['tt-java']);
    const again = await buildWindowDataset(custom, { ...base, raw: pinned.raw });
    assertSameDataset(again.dataset, ds);
    assert.equal(again.report.inferred!.metricColumns.source, 'configured');
  });

  it('an explicit list behaves as before: read as given, a text column or a column a file lacks is a named error', async () => {
    await assert.rejects(buildWindowDataset(custom, { ...base, raw: { metricColumns: ['cpu_seconds', USER_TELEMETRY.textColumn] } }), (err: Error) =>
      /not a number[\s\S]*file: .*metrics.*\.csv[\s\S]*field: line 2, column status[\s\S]*found: ok/.test(err.message));
    await assert.rejects(buildWindowDataset(custom, { ...base, raw: { metricColumns: [USER_TELEMETRY.partialColumn] } }), (err: Error) =>
      /lacks a configured KPI column[\s\S]*field: gc_pause_ms/.test(err.message));
  });
});

describe("windows/build: 'auto' reads the Eadro layout exactly as the explicit 7-column list", function () {
  this.timeout(240_000);

  it('generated fixture: bit-identical windows, the 7 KPIs reported as chosen', async () => {
    const root = writeFixture();
    const auto = await buildWindowDataset(root, base);
    const listed = await buildWindowDataset(root, { ...base, raw: { metricColumns: [...eadroMetricColumns] } });
    assertSameDataset(auto.dataset, listed.dataset);
    assert.deepEqual(auto.dataset.metricNames, eadroMetricColumns);
    assert.equal(auto.report.inferred!.metricColumns.source, 'eadro');
    assert.equal(listed.report.inferred!.metricColumns.source, 'configured');
    assert.match(formatBuildReport(auto.report).join('\n'), /^metric columns: 7 \(auto: the 7 Eadro KPIs, present in all 6 files\)/m);
  });

  it('tiny SN testbed: bit-identical windows; the extra testbed KPIs listed as unused', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-infer-testbed-'));
    await simulate({ system: 'sn', profile: 'tiny', seed: 7, out: root });
    const auto = await buildWindowDataset(root, base);
    const listed = await buildWindowDataset(root, { ...base, raw: { metricColumns: [...eadroMetricColumns] } });
    assertSameDataset(auto.dataset, listed.dataset);
    const inf = auto.report.inferred!;
    assert.equal(inf.metricColumns.source, 'eadro');
    assert.ok(inf.metricColumns.dropped.length > 0 && inf.metricColumns.dropped.every((d) => d.reason === 'unused'));
    assert.deepEqual(Object.keys(inf.logFormats), ['sn-cpp']);
    assert.deepEqual([...new Set(inf.metricFiles.map((f) => f.intervalSeconds))], [1]);
  });
});
