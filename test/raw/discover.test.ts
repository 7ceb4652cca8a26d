import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { normalizeRawConfig } from '../../src/raw/config.js';
import { scanSpanServices, surveyServices } from '../../src/raw/discover.js';
import { listRuns } from '../../src/raw/runs.js';
import { SYNTH_SERVICES, tmpDir, writeSynthDataset } from './synth.js';

describe('raw/discover', () => {
  it('discovers the union of span services, log keys and metric files, and reports missing sources', async () => {
    const root = writeSynthDataset(tmpDir('discover'), { runs: 1, durationSeconds: 120, normalRun: true }).root;
    const runs = listRuns(root);
    // A service with logs only, and one whose metrics file is gone.
    const logsFile = path.join(runs[0]!.dir, 'logs.json');
    const logs = JSON.parse(fs.readFileSync(logsFile, 'utf8')) as Record<string, string[]>;
    logs['ts-auth-service'] = ['2022-04-17 21:21:05.123  INFO 1 --- [m] c.X : hi'];
    fs.writeFileSync(logsFile, JSON.stringify(logs));
    for (const run of runs) fs.rmSync(path.join(run.dir, 'metrics', 'ts-seat-service.csv'));

    const survey = await surveyServices(runs, normalizeRawConfig());
    assert.deepEqual(survey.services, [...SYNTH_SERVICES, 'ts-auth-service'].sort());
    assert.deepEqual(survey.bySource.spans, [...SYNTH_SERVICES].sort());
    assert.deepEqual(survey.missing, [
      { service: 'ts-auth-service', sources: ['spans', 'metrics'] },
      { service: 'ts-seat-service', sources: ['metrics'] },
    ]);
    assert.deepEqual(survey.unknown, []);

    const given = await surveyServices(runs, normalizeRawConfig({ services: ['ts-order-service', 'ts-new-service'] }));
    assert.deepEqual(given.services, ['ts-order-service', 'ts-new-service']);
    assert.deepEqual(given.missing, [{ service: 'ts-new-service', sources: ['spans', 'logs', 'metrics'] }]);
    assert.ok(given.unknown.some((u) => u.source === 'spans' && u.service === 'ts-travel-service'));
  });

  it('scans serviceName across chunk boundaries, with escapes', async () => {
    const file = path.join(tmpDir('discover'), 'spans.json');
    const filler = 'x'.repeat((1 << 20) - 30); // puts the second name across the 1 MiB boundary
    fs.writeFileSync(file, JSON.stringify([{ processes: { p1: { serviceName: 'a' } }, pad: filler }, { processes: { p1: { serviceName: 'b "quoted"' } } }]));
    assert.deepEqual([...(await scanSpanServices(file))].sort(), ['a', 'b "quoted"']);
  });
});
