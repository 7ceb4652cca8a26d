import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildWindowDataset, formatBuildReport, normalizeWindowConfig, type WindowConfig } from '../../src/windows/build.js';
import { buildWindowDatasetCached } from '../../src/windows/cache.js';
import type { WindowDataset } from '../../src/windows/types.js';
import { FIXTURE, writeFixture } from './fixture.js';
import { EadroError } from '../../src/core/errors.js';

// One worker thread: the fixture is tiny, and the test machine's cores are shared.
const base: Partial<WindowConfig> = { hawkes: { mode: 'corrected', workers: 1 } };

describe('windows/build (end to end on a generated raw root)', function () {
  this.timeout(120_000);
  let root: string;
  let ds: WindowDataset;
  let report: Awaited<ReturnType<typeof buildWindowDataset>>['report'];
  let counts: Awaited<ReturnType<typeof buildWindowDataset>>['counts'];

  before(async () => {
    root = writeFixture();
    ({ dataset: ds, report, counts } = await buildWindowDataset(root, base));
  });

  it('makes stride-1 windows over both runs, fault-free run included', () => {
    const normalW = FIXTURE.normalSeconds - 10 + 1;
    const faultW = FIXTURE.faultSeconds - 10 + 1;
    assert.equal(ds.W, normalW + faultW);
    assert.deepEqual(ds.nodes, FIXTURE.services);
    assert.equal(ds.metrics.length, ds.W * 3 * 10 * 7);
    assert.equal(ds.meta.runId[0], FIXTURE.normalRun);
    assert.equal(ds.meta.runId[ds.W - 1], FIXTURE.faultRun);
  });

  it('labels windows overlapping the fault by >= 1 s with the culprit node', () => {
    const station = ds.nodes.indexOf('ts-station-service');
    const fs0 = FIXTURE.faultStart + FIXTURE.faultOffset;
    let abnormal = 0;
    for (let w = 0; w < ds.W; w++) {
      const s = ds.meta.start[w]!;
      const expected = ds.meta.runId[w] === FIXTURE.faultRun && s + 10 - fs0 >= 1 && fs0 + FIXTURE.faultDuration - s >= 1 ? station : -1;
      assert.equal(ds.labels[w], expected, `window at ${s}`);
      if (expected >= 0) {
        abnormal++;
        assert.equal(ds.meta.faultType[w], 'cpu_exhaustion');
      }
    }
    assert.equal(abnormal, 10 + FIXTURE.faultDuration - 1);
    assert.equal(report.abnormalWindows, abnormal);
    assert.deepEqual(report.perFaultType, { cpu_exhaustion: abnormal });
    assert.deepEqual(report.perService, { 'ts-station-service': { windows: abnormal, injections: 1 } });
    // Episodes: one for the fault-free run, one for the fault run.
    assert.equal(report.episodes, 2);
    assert.equal(new Set(ds.meta.episodeId).size, 2);
  });

  it('copies KPI and latency (ms) series into windows', () => {
    const station = ds.nodes.indexOf('ts-station-service');
    const order = ds.nodes.indexOf('ts-order-service');
    const w = ds.meta.start.indexOf(FIXTURE.faultStart + FIXTURE.faultOffset + 5);
    const N = 3;
    const T = 10;
    const K = 7;
    for (let t = 0; t < T; t++) {
      assert.equal(ds.traces[(w * N + station) * T + t], 50);
      assert.equal(ds.traces[(w * N + order) * T + t], 20);
      assert.equal(ds.metrics[((w * N + station) * T + t) * K + 1], 90); // cpu_usage_total
    }
    assert.equal(ds.normalization, 'none');
  });

  it('returns per-window request and error counts [W, N, T] for the baselines', () => {
    const station = ds.nodes.indexOf('ts-station-service');
    const fs0 = FIXTURE.faultStart + FIXTURE.faultOffset;
    let requests = 0;
    let errors = 0;
    const w = ds.meta.start.indexOf(fs0);
    for (let t = 0; t < 10; t++) {
      requests += counts.requests[(w * 3 + station) * 10 + t]!;
      errors += counts.errors[(w * 3 + station) * 10 + t]!;
    }
    assert.equal(requests, 10);
    assert.equal(errors, 5); // seconds 60, 62, ... of the run: i even
    assert.equal(counts.errors.reduce((a, v) => a + v, 0) > 0, true);
  });

  it('counts, per run, the windows without a request in any service and how many are labelled normal', () => {
    const N = ds.nodes.length;
    let offset = 0;
    for (const run of report.runs.filter((r) => r.usedFor === 'windows')) {
      let empty = 0;
      let emptyNormal = 0;
      for (let w = offset; w < offset + run.windows; w++) {
        const cells = counts.requests.subarray(w * N * 10, (w + 1) * N * 10);
        if (cells.every((v) => v === 0)) {
          empty++;
          if ((ds.labels[w] as number) < 0) emptyNormal++;
        }
      }
      assert.equal(run.windowsWithoutRequests, empty, run.id);
      assert.equal(run.normalWindowsWithoutRequests, emptyNormal, run.id);
      offset += run.windows;
    }
    // The fixture's fault-free run ends with seconds that serve no request: counted, and said in the summary.
    const total = report.runs.reduce((a, r) => a + (r.windowsWithoutRequests ?? 0), 0);
    if (total > 0) assert.ok(formatBuildReport(report).some((l) => l.startsWith(`windows without a request in any service: ${total} (`)));
    else assert.ok(!formatBuildReport(report).some((l) => l.startsWith('windows without a request')));
    assert.equal(total, 0, 'the fixture serves requests every second');
  });

  it('a fault-free run spans its traffic: metric rows recorded past its last request make no window', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-raw-padded-'));
    fs.cpSync(root, copy, { recursive: true });
    // 60 more seconds of metric rows after the run's last request, as a collector left running would write.
    const end = FIXTURE.normalStart + FIXTURE.normalSeconds;
    for (const svc of FIXTURE.services) {
      const file = path.join(copy, 'no fault', FIXTURE.normalRun, 'metrics', `${svc}.csv`);
      const extra = Array.from({ length: 60 }, (_, k) => `${end + k},10,10,10,1000,1000,0,0`).join('\n');
      fs.appendFileSync(file, `${extra}\n`);
    }
    for (const requestlessNormalWindows of ['exclude', 'keep'] as const) {
      const { report: padded } = await buildWindowDataset(copy, { ...base, requestlessNormalWindows });
      const normalRun = padded.runs.find((r) => r.kind === 'normal')!;
      assert.equal(normalRun.rangeFrom, 'traffic');
      assert.equal(normalRun.windows, FIXTURE.normalSeconds - 10 + 1, 'the same windows as without the padding (stride 1, T = 10)');
      assert.equal(normalRun.windowsWithoutRequests, 0);
      assert.equal(normalRun.requestlessNormalExcluded, 0);
    }
  });

  it('normal windows without a request in any service are left out by default, counted and reported; an option keeps them', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-raw-gap-'));
    fs.cpSync(root, copy, { recursive: true });
    // No request at all in seconds 50 .. 79 of the fault-free run (its logs and metrics go on).
    const spansFile = path.join(copy, 'no fault', FIXTURE.normalRun, 'spans.json');
    const quiet = (id: string): boolean => {
      const i = Number(id.slice(1)) - FIXTURE.normalStart;
      return i >= 50 && i < 80;
    };
    const traces = JSON.parse(fs.readFileSync(spansFile, 'utf8')) as { traceID: string }[];
    fs.writeFileSync(spansFile, JSON.stringify(traces.filter((t) => !quiet(t.traceID))));
    // Windows [s, s + 10) wholly inside the 30 quiet seconds: s = 50 .. 70, 21 of them.
    const all = FIXTURE.normalSeconds - 10 + 1;
    const dropped = await buildWindowDataset(copy, base);
    const run = dropped.report.runs.find((r) => r.kind === 'normal')!;
    assert.equal(run.requestlessNormalExcluded, 21);
    assert.equal(run.windows, all - 21);
    assert.equal(run.windowsWithoutRequests, 0, 'none of the kept windows is without requests');
    const starts = dropped.dataset.meta.start.filter((_, w) => dropped.dataset.meta.runId[w] === FIXTURE.normalRun);
    assert.ok(starts.every((s) => s < FIXTURE.normalStart + 50 || s > FIXTURE.normalStart + 70), 'exactly the quiet windows are gone');
    assert.ok(formatBuildReport(dropped.report).includes(
      "normal windows without a request in any service, left out: 21, in 1 run(s) (requestlessNormalWindows: 'keep' keeps them; report.json runs[].requestlessNormalExcluded)",
    ));
    const kept = await buildWindowDataset(copy, { ...base, requestlessNormalWindows: 'keep' });
    const keptRun = kept.report.runs.find((r) => r.kind === 'normal')!;
    assert.equal(keptRun.windows, all);
    assert.equal(keptRun.requestlessNormalExcluded, 0);
    assert.equal(keptRun.windowsWithoutRequests, 21);
    assert.equal(keptRun.normalWindowsWithoutRequests, 21);
    assert.ok(formatBuildReport(kept.report).includes('windows without a request in any service, kept: 21 (21 labelled normal), in 1 run(s) (report.json runs[].windowsWithoutRequests)'));
    assert.throws(() => normalizeWindowConfig({ requestlessNormalWindows: 'drop' as 'keep' }), (e: unknown) => e instanceof EadroError && e.details.field === 'requestlessNormalWindows');
  });

  it('keeps whole traces with the traces of each window: one per second, labels and call paths from the spans', () => {
    const ts = ds.traceSet!;
    assert.equal(ts.start.length, FIXTURE.normalSeconds + FIXTURE.faultSeconds, 'every trace starts in some window of its run');
    assert.deepEqual(report.traces, { kept: ts.start.length, spans: 3 * ts.start.length, outsideWindows: 0, labels: 3, callPaths: 3 });
    assert.deepEqual(ts.callPaths, [
      'ts-user-service:login',
      'ts-user-service:login > ts-order-service:getOrder',
      'ts-user-service:login > ts-order-service:getOrder > ts-station-service:getStation',
    ]);
    for (let w = 0; w < ds.W; w++) {
      const members = Array.from(ts.windowTraces.subarray(ts.windowOffsets[w], ts.windowOffsets[w + 1]));
      assert.equal(members.length, 10, 'a 10 s window holds the 10 traces that start in it');
      for (const t of members) assert.ok(ts.start[t]! >= ds.meta.start[w]! && ts.start[t]! < ds.meta.start[w]! + 10);
    }
    // The station span of a trace in the fault is 50 ms, 10 ms outside it; every other faulty one is an error.
    const faultAt = FIXTURE.faultStart + FIXTURE.faultOffset;
    const inFault = Array.from(ts.start).findIndex((s) => Math.floor(s) === faultAt);
    assert.equal(ts.spanDurationUs[ts.spanOffsets[inFault]! + 2], 50_000);
    assert.equal(ts.spanError[ts.spanOffsets[inFault]! + 2], 1);
    assert.equal(ts.spanDurationUs[ts.spanOffsets[0]! + 2], 10_000);
  });

  it('learns templates from the fault-free run only: the fault-only line is event 0', () => {
    assert.equal(report.templates.source, 'normal-runs');
    assert.equal(report.templates.unseenLines, FIXTURE.faultDuration);
    assert.ok(ds.eventNum >= 4 && ds.eventNum <= 6, `E = ${ds.eventNum}`);
    // Hawkes features exist (non-zero) for windows with logs, and are finite.
    assert.ok(ds.logs.every((v) => Number.isFinite(v)));
    assert.ok(ds.logs.some((v) => v > 0));
  });

  it('mines the graph callee -> caller with self-loops and diffs it against the official TT list', () => {
    assert.equal(ds.edgeDirection, 'callee->caller');
    const names = ds.edges[0].map((s, i) => `${ds.nodes[s]}>${ds.nodes[ds.edges[1][i]!]}`).sort();
    assert.deepEqual(names, [
      'ts-order-service>ts-order-service',
      'ts-order-service>ts-user-service',
      'ts-station-service>ts-order-service',
      'ts-station-service>ts-station-service',
      'ts-user-service>ts-user-service',
    ]);
    assert.deepEqual(report.graph.minedFrom, [FIXTURE.normalRun]);
    assert.ok(report.graph.diff !== null);
    assert.deepEqual(report.graph.diff!.onlyInMined, [['ts-order-service', 'ts-user-service']]);
    assert.equal(report.graph.diff!.shared, 1);
  });

  it('reference variant: caller -> callee; official graph on request', async () => {
    const { dataset } = await buildWindowDataset(root, { ...base, variant: 'reference', graph: { ...normalizeWindowConfig().graph, source: 'official' } });
    assert.equal(dataset.edgeDirection, 'caller->callee');
    const names = dataset.edges[0].map((s, i) => `${dataset.nodes[s]}>${dataset.nodes[dataset.edges[1][i]!]}`).sort();
    assert.ok(names.includes('ts-order-service>ts-station-service'));
    assert.ok(!names.includes('ts-user-service>ts-order-service')); // not in util.py
  });

  it('refuses, naming the misalignment and the offsets measured from the data, when spans and the fault record do not overlap', async () => {
    await assert.rejects(
      buildWindowDataset(root, { ...base, raw: { offsets: { spans: 8 * 3600, logs: 0, metrics: 0, records: 0 } } }),
      // The other sources agree with each other and sit 8 h (within a second) from the shifted spans.
      /do not overlap[\s\S]*spans[\s\S]*measured offset[\s\S]*Set offsets to \{"spans":28800,"logs":2879\d,"metrics":2879\d,"records":2879\d\}/,
    );
  });

  it('rejects unknown config keys with the field named', () => {
    assert.throws(() => normalizeWindowConfig({ windowLength: 5 } as unknown as Partial<WindowConfig>), /field: windowLength/);
    assert.throws(() => normalizeWindowConfig({ threshold: 0 }), /field: threshold/);
  });

  it('a service without metric files gets zeros, mask 0, and is reported', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-raw-nometrics-'));
    fs.cpSync(root, copy, { recursive: true });
    for (const run of [path.join('no fault', FIXTURE.normalRun), path.join('data', FIXTURE.faultRun)]) {
      fs.rmSync(path.join(copy, run, 'metrics', 'ts-user-service.csv'));
    }
    const { dataset, report: r } = await buildWindowDataset(copy, base);
    const user = dataset.nodes.indexOf('ts-user-service');
    assert.deepEqual(r.lacking.metrics, ['ts-user-service']);
    assert.equal(r.modalityMask.metrics[user], 0);
    assert.deepEqual(r.lacking.traces, []);
    for (let w = 0; w < dataset.W; w += 37) {
      for (let i = 0; i < 70; i++) assert.equal(dataset.metrics[(w * 3 + user) * 70 + i], 0);
    }
  });

  it('the main fixture has no absent input: every service has every source in every run', () => {
    assert.deepEqual(report.absentInputs, []);
    assert.deepEqual(Object.keys(report.runModalityMask!).sort(), [FIXTURE.normalRun, FIXTURE.faultRun].sort());
  });

  describe('a source missing in one run only is reported and masked for that run, or refused when strict', () => {
    const faultWindows = FIXTURE.faultSeconds - 10 + 1;
    /** A copy of the fixture with `edit` applied to the fault run's folder. */
    const variant = (edit: (runDir: string) => void): string => {
      const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-raw-absent-'));
      fs.cpSync(root, copy, { recursive: true });
      edit(path.join(copy, 'data', FIXTURE.faultRun));
      return copy;
    };
    const cases: { source: 'metrics' | 'logs' | 'traces'; edit: (dir: string) => void; what: RegExp }[] = [
      { source: 'metrics', edit: (dir) => fs.rmSync(path.join(dir, 'metrics', 'ts-user-service.csv')), what: /no metrics file ts-user-service\.csv/ },
      {
        source: 'logs',
        edit: (dir) => {
          const logs = JSON.parse(fs.readFileSync(path.join(dir, 'logs.json'), 'utf8')) as Record<string, unknown>;
          delete logs['ts-user-service'];
          fs.writeFileSync(path.join(dir, 'logs.json'), JSON.stringify(logs));
        },
        what: /no log line of the service/,
      },
      {
        source: 'traces',
        // The user service is every trace's root: give its spans to the order service's process.
        edit: (dir) => {
          const traces = JSON.parse(fs.readFileSync(path.join(dir, 'spans.json'), 'utf8')) as { processes: Record<string, { serviceName: string }> }[];
          for (const t of traces) t.processes['p1'] = { serviceName: 'ts-order-service' };
          fs.writeFileSync(path.join(dir, 'spans.json'), JSON.stringify(traces));
        },
        what: /no span served by the service/,
      },
    ];
    for (const c of cases) {
      it(`${c.source}: counted in the report and its summary, masked for the run, zeros there; 'error' refuses naming run, service and source`, async () => {
        const copy = variant(c.edit);
        const { dataset, report: r } = await buildWindowDataset(copy, base);
        const user = dataset.nodes.indexOf('ts-user-service');
        const mine = r.absentInputs!.filter((a) => a.service === 'ts-user-service');
        assert.equal(mine.length, 1, JSON.stringify(r.absentInputs));
        assert.equal(mine[0]!.run, FIXTURE.faultRun);
        assert.equal(mine[0]!.source, c.source);
        assert.equal(mine[0]!.windows, faultWindows);
        assert.match(mine[0]!.what, c.what);
        assert.equal(r.runModalityMask![FIXTURE.faultRun]![c.source][user], 0);
        assert.equal(r.runModalityMask![FIXTURE.normalRun]![c.source][user], 1);
        assert.equal(r.modalityMask[c.source][user], 1, 'the service has the source in the other run');
        assert.ok(formatBuildReport(r).some((l) => /^absent inputs: /.test(l)), 'the summary says so');
        if (c.source === 'metrics') {
          const w = dataset.meta.runId.indexOf(FIXTURE.faultRun);
          for (let i = 0; i < 70; i++) assert.equal(dataset.metrics[(w * 3 + user) * 70 + i], 0);
        }
        await assert.rejects(buildWindowDataset(copy, { ...base, absentInputs: 'error' }), new RegExp(`lacks a source[\\s\\S]*field: ${c.source} of ts-user-service in run ${FIXTURE.faultRun}`));
        fs.rmSync(copy, { recursive: true, force: true });
      });
    }
  });

  it('services outside a configured node list are counted as skipped, not silently dropped', async () => {
    const { dataset, report: r } = await buildWindowDataset(root, {
      ...base,
      raw: { services: ['ts-order-service', 'ts-station-service'] },
    });
    assert.deepEqual(dataset.nodes, ['ts-order-service', 'ts-station-service']);
    const reasons = r.skipped.map((x) => `${x.reason}: ${x.example ?? ''}`);
    assert.ok(reasons.some((x) => /not in the configured node list.*ts-user-service/.test(x)), reasons.join('\n'));
    assert.ok(reasons.some((x) => /outside the node list.*ts-user-service -> ts-order-service/.test(x)), reasons.join('\n'));
  });

  it("refuses templates from fault-free runs when none has logs, and says how to proceed", async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-raw-nolog-'));
    fs.cpSync(root, copy, { recursive: true });
    fs.rmSync(path.join(copy, 'no fault', FIXTURE.normalRun, 'logs.json'));
    await assert.rejects(buildWindowDataset(copy, base), /no fault-free run has logs[\s\S]*templates: 'all-runs'/);
    const { report: r } = await buildWindowDataset(copy, { ...base, templates: 'all-runs' });
    assert.equal(r.templates.linesMatched, 0);
  });

  it('a stray span timestamp in a fault-free run is a named error, not a giant allocation', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-raw-stray-'));
    fs.cpSync(root, copy, { recursive: true });
    const file = path.join(copy, 'no fault', FIXTURE.normalRun, 'spans.json');
    const traces = JSON.parse(fs.readFileSync(file, 'utf8')) as { spans: { startTime: number }[] }[];
    traces[3]!.spans[0]!.startTime = 4_102_444_800e6; // year 2100
    fs.writeFileSync(file, JSON.stringify(traces));
    await assert.rejects(buildWindowDataset(copy, base), /Run spans [\d.]+ days[\s\S]*maxRunSeconds[\s\S]*stray timestamps/);
  });

  it('reference-per-run normalisation z-scores each run (faults included)', async () => {
    const { dataset } = await buildWindowDataset(root, { ...base, normalization: 'reference-per-run' });
    assert.equal(dataset.normalization, 'reference-per-run');
    // Latency per node over the fault run's windows: mean 0, std 1.
    const station = dataset.nodes.indexOf('ts-station-service');
    const first = dataset.meta.runId.indexOf(FIXTURE.faultRun);
    let sum = 0;
    let sq = 0;
    let n = 0;
    for (let w = first; w < dataset.W; w++) {
      for (let t = 0; t < 10; t++) {
        const v = dataset.traces[(w * 3 + station) * 10 + t]!;
        sum += v;
        sq += v * v;
        n++;
      }
    }
    assert.ok(Math.abs(sum / n) < 1e-4);
    assert.ok(Math.abs(sq / n - 1) < 1e-3);
  });

  it('caches by config hash + data checksum: the second build loads the same dataset', async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-cache-'));
    const first = await buildWindowDatasetCached(root, base, { cacheDir });
    assert.equal(first.fromCache, false);
    const second = await buildWindowDatasetCached(root, base, { cacheDir });
    assert.equal(second.fromCache, true);
    assert.equal(second.entry, first.entry);
    assert.deepEqual(second.dataset, first.dataset);
    assert.deepEqual(second.counts, first.counts);
    assert.equal(second.report.windows, first.report.windows);
    const other = await buildWindowDatasetCached(root, { ...base, T: 5 }, { cacheDir });
    assert.equal(other.fromCache, false);
    assert.notEqual(other.entry, first.entry);
  });
});
