import { strict as assert } from 'node:assert';
import { EadroError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { assertOverlap, measureAlignment, offsetsToUse, type AlignmentReport } from '../../src/raw/align.js';
import { normalizeRawConfig } from '../../src/raw/config.js';
import { listRuns, readRunRecord } from '../../src/raw/runs.js';
import { searchLag, type SecondSeries } from '../../src/raw/xcorr.js';
import { SYNTH_SERVICES, tmpDir, writeSynthDataset } from './synth.js';

const H = 3600;

describe('raw/align', () => {
  let shifted: string;
  let report: AlignmentReport;

  before(async function () {
    this.timeout(120000);
    // Truth is the records' and logs' clock; spans were written 8 h late and metrics 16 h late.
    shifted = writeSynthDataset(tmpDir('align'), { seed: 11, runs: 2, durationSeconds: 1500, shift: { spans: 8 * H, metrics: 16 * H } }).root;
    report = await measureAlignment(shifted, {}, { warn: () => undefined });
  });

  it('searchLag recovers a known lag of hours, minutes and seconds', () => {
    const rng = createRng(3);
    const lag = 5 * H + 17 * 60 + 41; // source time + lag = reference time
    const x: SecondSeries = new Map();
    const y: SecondSeries = new Map();
    for (let t = 0; t < 3000; t++) {
      const v = rng.poisson(t % 600 < 300 ? 2 : 0.5);
      if (v > 0) x.set(1e6 + t, v);
      if (v > 0) y.set(1e6 + t - lag, v + rng.poisson(0.2));
    }
    const r = searchLag([{ x, y, xMerge: 'sum', yMerge: 'sum' }])!;
    assert.equal(r.lagSeconds, lag);
    assert.ok(r.score > 0.8, `score ${r.score}`);
    assert.equal(r.stages.length, 2);
    assert.ok(Math.abs(r.stages[0]!.lagSeconds - lag) < 60, `minute scan ${r.stages[0]!.lagSeconds}`);
  });

  it('finds spans planted +8 h and metrics +16 h (spans as the reference clock)', () => {
    assert.deepEqual(report.offsets, { spans: 0, logs: 8 * H, metrics: -8 * H, records: 8 * H });
    const bySource = (s: string) => report.evidence.filter((e) => e.source === s);
    assert.equal(bySource('logs')[0]!.lagSeconds, 8 * H);
    assert.ok(bySource('logs')[0]!.score > 0.5, `logs r ${bySource('logs')[0]!.score}`);
    assert.ok(bySource('metrics')[0]!.score > 0.3, `metrics r ${bySource('metrics')[0]!.score}`);
    const records = bySource('records');
    assert.match(records[0]!.method, /CPU-exhaustion/);
    assert.equal(records[0]!.reference, 'metrics');
    assert.equal(records[0]!.lagSeconds, 16 * H);
    assert.ok(records[0]!.score > 0.5, `records r ${records[0]!.score}`);
    // The coverage cross-check agrees on the hour.
    assert.equal(Math.round(records[1]!.lagSeconds / H), 8);
  });

  it('with the spans offset configured, the other offsets follow it', async () => {
    const r = await measureAlignment(shifted, { offsets: { spans: -8 * H, logs: 0, metrics: 0, records: 0 } }, { warn: () => undefined, maxRuns: 1 });
    assert.deepEqual(r.offsets, { spans: -8 * H, logs: 0, metrics: -16 * H, records: 0 });
  });

  it('aligned data measures zero offsets', async () => {
    const root = writeSynthDataset(tmpDir('align'), { seed: 5, runs: 1, durationSeconds: 1200 }).root;
    const r = await measureAlignment(root, {}, { warn: () => undefined });
    assert.deepEqual(r.offsets, { spans: 0, logs: 0, metrics: 0, records: 0 });
  });

  it('misaligned clocks: assertOverlap refuses and names the measured offset; passes once it is set', () => {
    const [run] = listRuns(shifted);
    const spansRange = (offset: number) => ({ name: 'spans', start: 1650230461 + 8 * H + offset, end: 1650230461 + 8 * H + 1500 + offset });
    const record = readRunRecord(run!, normalizeRawConfig(), SYNTH_SERVICES)!;
    let err: unknown;
    try {
      assertOverlap(record, [spansRange(0)], run!.recordFile!, report);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof EadroError);
    assert.match(err.message, /do not overlap/);
    assert.equal(err.details.file, run!.recordFile);
    assert.match(err.details.hint ?? '', /measured offset for spans: 0 s/);
    assert.match(err.details.hint ?? '', /records: 28800 s \(\+8 h\)/);
    assert.match(err.details.found ?? '', /gap of 7 h 35 min/);
    // Without a measurement the error says how to get one.
    assert.throws(() => assertOverlap(record, [spansRange(0)], run!.recordFile!), /eadro align/);
    // With the measured records offset applied, they overlap.
    const fixed = readRunRecord(run!, normalizeRawConfig({ offsets: report.offsets }), SYNTH_SERVICES)!;
    assertOverlap(fixed, [spansRange(0)], run!.recordFile!, report);
  });
  it('a weakly measured offset stays out of the offsets to use, listed apart with what would confirm it', () => {
    const configured = { spans: 0, logs: 0, metrics: 0, records: 0 };
    // The strong measurements pass through unchanged.
    assert.deepEqual(offsetsToUse(report, configured), { offsets: report.offsets, weak: [] });
    const weakMetrics: AlignmentReport = {
      offsets: { spans: 0, logs: 8 * H, metrics: 120, records: 8 * H },
      evidence: [
        { source: 'spans', reference: 'spans', lagSeconds: 0, score: NaN, method: 'reference', note: '' },
        { source: 'logs', reference: 'spans', lagSeconds: 8 * H, score: 0.7, method: 'xcorr', note: '' },
        { source: 'metrics', reference: 'spans', lagSeconds: 120, score: 0.08, method: 'xcorr', note: 'WEAK evidence, check by hand' },
        { source: 'records', reference: 'metrics', lagSeconds: 8 * H, score: 0.6, method: 'CPU-exhaustion faults', note: '' },
        { source: 'records', reference: 'spans', lagSeconds: 8 * H, score: 0.05, method: 'coverage', note: 'cross-check' },
      ],
    };
    const use = offsetsToUse(weakMetrics, configured);
    assert.deepEqual(use.offsets, { spans: 0, logs: 8 * H, metrics: 0, records: 8 * H }, 'metrics kept at its configured 0; records judged by its first evidence');
    assert.equal(use.weak.length, 1);
    assert.deepEqual({ ...use.weak[0]!, confirm: '' }, { source: 'metrics', measured: 120, kept: 0, score: 0.08, confirm: '' });
    assert.match(use.weak[0]!.confirm, /mean r 0\.080 < 0\.2: read more runs \(--max-runs\)/);
  });
});
