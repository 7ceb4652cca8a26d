import { strict as assert } from 'node:assert';
import { SkipCollector, summarizeSkips } from '../../src/raw/skips.js';

describe('raw/skips', () => {
  it('counts per (file, reason) with the first example, and summarises one line per reason however many files', () => {
    const skips = new SkipCollector();
    // A dataset of 3,000 metric files, each with a few filled seconds, and two bad log lines in one file.
    for (let f = 0; f < 3000; f++) skips.addMany(`metrics/svc-${f}.csv`, 'missing seconds filled forward', 2 + (f % 3), f === 0 ? 'second 17' : undefined);
    skips.add('logs.json', 'log line without a timestamp', 'GET /health');
    skips.add('logs.json', 'log line without a timestamp', 'another');
    assert.equal(skips.reports().length, 3001);
    assert.equal(skips.total(), 3000 * 3 + 2);
    const summary = summarizeSkips(skips.reports());
    assert.deepEqual(summary, [
      '9000 x missing seconds filled forward in 3000 file(s), e.g. metrics/svc-0.csv: second 17',
      '2 x log line without a timestamp in 1 file(s), e.g. logs.json: GET /health',
    ]);
    // The per-file detail is still there for --verbose and report.json.
    assert.equal(skips.format().length, 3001);
    assert.equal(skips.format()[3000], '2 x log line without a timestamp (logs.json): GET /health');
  });
});
