/**
 * KPI sampling interval (`kpiIntervalSeconds`): Prometheus-like 30-s metric files are the 1-s series of
 * the same seed averaged per interval (rates) or read at the interval's first second (memory gauges),
 * spans and logs are untouched, and the raw reader resamples them onto the 1-s grid (src/raw/metrics.ts).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../../src/core/errors.js';
import { normalizeRawConfig } from '../../src/raw/config.js';
import { readMetricFile } from '../../src/raw/metrics.js';
import { SkipCollector } from '../../src/raw/skips.js';
import { simulate, testbedDefaults, type TestbedManifest } from '../../src/testbed/index.js';
import { mean, readMetric, tmpDir } from './helpers.js';

describe('testbed KPI sampling interval', function () {
  this.timeout(120_000);
  let oneSecond: { root: string; manifest: TestbedManifest };
  let thirty: { root: string; manifest: TestbedManifest };
  let fortyFive: { root: string; manifest: TestbedManifest };
  before(async () => {
    const sim = async (kpiIntervalSeconds?: number) => {
      const root = tmpDir(`kpi-${kpiIntervalSeconds ?? 'default'}`);
      const options = { system: 'sn' as const, profile: 'tiny' as const, seed: 5, out: root };
      const manifest = await simulate(kpiIntervalSeconds === undefined ? options : { ...options, kpiIntervalSeconds });
      return { root, manifest };
    };
    oneSecond = await sim();
    thirty = await sim(30);
    fortyFive = await sim(45);
  });

  it('defaults to one row per second (the released layout)', () => {
    assert.equal(testbedDefaults.kpiIntervalSeconds, 1);
    assert.equal(oneSecond.manifest.kpiIntervalSeconds, 1);
    const run = oneSecond.manifest.runs[0]!;
    assert.equal(readMetric(path.join(oneSecond.root, run.dir), 'nginx-web-server', 'cpu_usage_total').length, run.end - run.start);
  });

  it('30 s: rows 30 s apart from the run start; rates are the 1-s means, gauges the first second; spans and logs unchanged', () => {
    assert.equal(thirty.manifest.kpiIntervalSeconds, 30);
    let rows = 0;
    for (const run of thirty.manifest.runs) {
      const dir = path.join(thirty.root, run.dir);
      const base = path.join(oneSecond.root, run.dir);
      for (const file of ['spans.json', 'logs.json']) assert.ok(fs.readFileSync(path.join(dir, file)).equals(fs.readFileSync(path.join(base, file))), `${run.id}/${file}`);
      for (const service of thirty.manifest.topology.services) {
        const cpu = readMetric(dir, service, 'cpu_usage_total');
        const cpu1 = readMetric(base, service, 'cpu_usage_total');
        const mem = readMetric(dir, service, 'memory_usage');
        const mem1 = new Map(readMetric(base, service, 'memory_usage'));
        const rx = readMetric(dir, service, 'rx_bytes');
        const rx1 = readMetric(base, service, 'rx_bytes');
        assert.equal(cpu.length, Math.ceil((run.end - run.start) / 30));
        cpu.forEach(([t, v], i) => {
          assert.equal(t, run.start + 30 * i, 'rows 30 s apart');
          const inside = (x: Array<[number, number]>) => x.filter(([u]) => u >= t && u < t + 30).map(([, y]) => y);
          assert.ok(Math.abs(v - mean(inside(cpu1))) < 1e-3, `${service} cpu at ${t}: ${v} vs ${mean(inside(cpu1))}`);
          assert.ok(Math.abs(rx[i]![1] - mean(inside(rx1))) <= 0.5 + 1e-9, `${service} rx at ${t}`);
          assert.equal(mem[i]![1], mem1.get(t), `${service} memory gauge at ${t}`);
        });
        rows += cpu.length;
      }
    }
    assert.equal(thirty.manifest.counts.metricRows, rows);
  });

  it('the raw reader resamples 30-s files onto the 1-s grid by sample-and-hold', () => {
    const run = thirty.manifest.runs[0]!;
    const file = path.join(thirty.root, run.dir, 'metrics', 'nginx-web-server.csv');
    const skips = new SkipCollector();
    const { table, summary } = readMetricFile(file, 'nginx-web-server', normalizeRawConfig({}), skips);
    assert.equal(summary.intervalSeconds, 30, "'auto' measures the interval");
    assert.equal(summary.gridSeconds, run.end - run.start);
    assert.equal(table.timestamps[0], run.start);
    for (let g = 1; g < table.timestamps.length; g++) assert.equal(table.timestamps[g]! - table.timestamps[g - 1]!, 1);
    const rows = readMetric(path.join(thirty.root, run.dir), 'nginx-web-server', 'cpu_usage_total');
    const cpu = table.columns['cpu_usage_total']!;
    for (let g = 0; g < cpu.length; g++) assert.equal(cpu[g], rows[Math.floor(g / 30)]![1]);
    assert.equal(summary.filledSeconds, (run.end - run.start) - rows.length);
  });

  it('an interval that does not divide the run: the last row averages the seconds left', () => {
    const run = fortyFive.manifest.runs[0]!;
    const S = run.end - run.start;
    const cpu = readMetric(path.join(fortyFive.root, run.dir), 'nginx-web-server', 'cpu_usage_total');
    const cpu1 = readMetric(path.join(oneSecond.root, run.dir), 'nginx-web-server', 'cpu_usage_total');
    assert.equal(cpu.length, Math.ceil(S / 45));
    const [t, v] = cpu[cpu.length - 1]!;
    const left = cpu1.filter(([u]) => u >= t).map(([, y]) => y);
    assert.ok(left.length < 45 && Math.abs(v - mean(left)) < 1e-3);
  });

  it('rejects an interval that is not a whole number of seconds >= 1, naming the field', async () => {
    for (const bad of [0, 2.5, -30, Number.NaN]) {
      await assert.rejects(
        simulate({ system: 'sn', profile: 'tiny', seed: 1, out: tmpDir('kpi-bad'), kpiIntervalSeconds: bad }),
        (e: unknown) => e instanceof EadroError && /field: kpiIntervalSeconds/.test(e.message) && /whole number of seconds/.test(e.message),
      );
    }
  });
});
