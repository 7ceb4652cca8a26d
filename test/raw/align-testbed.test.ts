import { strict as assert } from 'node:assert';
import { EadroError } from '../../src/core/errors.js';
import { assertOverlap, measureAlignment } from '../../src/raw/align.js';
import { normalizeRawConfig } from '../../src/raw/config.js';
import { surveyServices } from '../../src/raw/discover.js';
import { listRuns, readRunRecord, runFiles } from '../../src/raw/runs.js';
import { SkipCollector } from '../../src/raw/skips.js';
import { readTraces } from '../../src/raw/spans.js';
import { simulate } from '../../src/testbed/index.js';
import { plantShift, tmpDir } from './synth.js';

const H = 3600;

describe('raw/align on testbed data', () => {
  it('finds spans moved +8 h and metrics +16 h in tiny SN testbed output, and overlap is refused until set', async function () {
    this.timeout(120000);
    const root = tmpDir('align-testbed');
    await simulate({ system: 'sn', profile: 'tiny', seed: 3, out: root });
    plantShift(root, { spans: 8 * H, metrics: 16 * H });
    const report = await measureAlignment(root, {}, { warn: () => undefined });
    // Spans are the reference: logs and records (true clock) are 8 h behind them, metrics 8 h ahead.
    assert.deepEqual(report.offsets, { spans: 0, logs: 8 * H, metrics: -8 * H, records: 8 * H });

    // Building windows with zero offsets must refuse: the record does not overlap the spans.
    const cfg = normalizeRawConfig();
    const runs = listRuns(root);
    const services = (await surveyServices(runs, cfg)).services;
    const run = runs.find((r) => r.kind === 'fault')!;
    const range = { name: 'spans', start: Infinity, end: -Infinity };
    for await (const trace of readTraces(runFiles(run).spans!, cfg, new SkipCollector())) {
      for (const s of trace) {
        range.start = Math.min(range.start, s.startUs / 1e6);
        range.end = Math.max(range.end, (s.startUs + s.durationUs) / 1e6);
      }
    }
    const record = readRunRecord(run, cfg, services)!;
    assert.throws(
      () => assertOverlap(record, [range], run.recordFile!, report),
      (err: unknown) => err instanceof EadroError && /measured offset for spans/.test(err.details.hint ?? '') && /"records":28800/.test(err.details.hint ?? ''),
    );
    const fixed = readRunRecord(run, normalizeRawConfig({ offsets: report.offsets }), services)!;
    assertOverlap(fixed, [range], run.recordFile!, report);
  });
});
