import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../../src/core/errors.js';
import { normalizeRawConfig } from '../../src/raw/config.js';
import { containerToService, listRuns, readRunRecord, runFiles } from '../../src/raw/runs.js';
import { SkipCollector } from '../../src/raw/skips.js';
import { tmpDir } from './synth.js';
import { thrown } from './errors.js';

/** Make run folders and record files under data/ (and optional normal runs). */
function layout(folders: string[], records: string[], normal: string[] = []): string {
  const root = tmpDir('runs');
  for (const f of folders) fs.mkdirSync(path.join(root, 'data', f), { recursive: true });
  fs.mkdirSync(path.join(root, 'data'), { recursive: true });
  for (const r of records) fs.writeFileSync(path.join(root, 'data', `${r}.json`), JSON.stringify({ start: 0, end: 1, faults: [] }));
  for (const n of normal) fs.mkdirSync(path.join(root, 'no fault', n), { recursive: true });
  return root;
}

const TT = ['ts-order-service', 'ts-seat-service', 'ts-auth-service', 'ts-verification-code-service'];
const SN = ['compose-post-service', 'user-service', 'nginx-web-server', 'user-mention-service'];

describe('raw/runs', () => {
  it('pairs runs and records by name and by shared time stamp, sorted by time, normal runs included', () => {
    const root = layout(
      ['tt_2022-04-18T101500D2022-04-18T120000', 'tt_2022-04-17T212101D2022-04-17T230842'],
      ['tt_2022-04-17T212101D2022-04-17T230842', 'record-2022-04-18T101500D2022-04-18T120000'],
      ['2022-04-16T080000D2022-04-16T150000'],
    );
    const warnings: string[] = [];
    const runs = listRuns(root, { warn: (m) => warnings.push(m) });
    assert.deepEqual(runs.map((r) => [r.kind, r.id, r.recordFile === null ? null : path.basename(r.recordFile)]), [
      ['normal', '2022-04-16T080000D2022-04-16T150000', null],
      ['fault', 'tt_2022-04-17T212101D2022-04-17T230842', 'tt_2022-04-17T212101D2022-04-17T230842.json'],
      ['fault', 'tt_2022-04-18T101500D2022-04-18T120000', 'record-2022-04-18T101500D2022-04-18T120000.json'],
    ]);
    assert.deepEqual(warnings, []);
    assert.equal(runs[1]!.dir, path.join(root, 'data', 'tt_2022-04-17T212101D2022-04-17T230842'));
    assert.deepEqual(runFiles(runs[1]!), { spans: null, logs: null, metricsDir: null });
  });

  it('falls back to sorted order with a warning when names share no time stamp', () => {
    const root = layout(['run-b', 'run-a'], ['rec-2', 'rec-1']);
    const warnings: string[] = [];
    const runs = listRuns(root, { warn: (m) => warnings.push(m) });
    assert.deepEqual(runs.map((r) => [r.id, path.basename(r.recordFile!)]), [
      ['run-a', 'rec-1.json'],
      ['run-b', 'rec-2.json'],
    ]);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /paired with record rec-1\.json by sorted order/);
  });

  it('a fault run without its record is a named error (or a counted skip)', () => {
    const root = layout(['run-2022-04-17T212101', 'run-2022-04-18T101500'], ['run-2022-04-17T212101']);
    const err = thrown(() => listRuns(root, { warn: () => undefined }));
    assert.match(err.message, /no fault record/);
    assert.equal(err.details.file, path.join(root, 'data', 'run-2022-04-18T101500.json'));
    const skips = new SkipCollector();
    const runs = listRuns(root, { warn: () => undefined, onBadInput: 'skip', skips });
    assert.deepEqual(runs.map((r) => r.id), ['run-2022-04-17T212101']);
    assert.equal(skips.total(), 1);
  });

  it('a root with neither data/ nor "no fault/" is a named error', () => {
    const root = tmpDir('runs');
    fs.mkdirSync(path.join(root, 'something-else'));
    const err = thrown(() => listRuns(root));
    assert.match(err.message, /neither data\/ nor "no fault\/"/);
    assert.equal(err.details.file, root);
    assert.match(err.details.found ?? '', /something-else/);
  });

  it('maps TT and SN container names to services', () => {
    const cfg = normalizeRawConfig();
    assert.equal(containerToService('train-ticket_ts-order-service_1', TT, cfg), 'ts-order-service');
    assert.equal(containerToService('trainticket_ts-verification-code-service_2', TT, cfg), 'ts-verification-code-service');
    assert.equal(containerToService('socialnetwork-compose-post-service-1', SN, cfg), 'compose-post-service');
    assert.equal(containerToService('socialnetwork-nginx-web-server-1', SN, cfg), 'nginx-web-server');
    assert.equal(containerToService('socialnetwork-user-service-1', SN, cfg), 'user-service'); // not user-mention
    assert.equal(containerToService('user-service', SN, cfg), 'user-service');
    assert.equal(containerToService('k8s_pod-user-mention-service-7f9c', SN, normalizeRawConfig({ containerPattern: '^k8s_pod-(?<service>.+)-[0-9a-f]+$' })), 'user-mention-service');
    assert.equal(containerToService('socialnetwork-media-frontend-1', SN, cfg), null);
  });

  it('reads a record: offsets.records added, containers mapped, fault types renamed', () => {
    const root = layout(['r-2022-04-17T212101'], []);
    const file = path.join(root, 'data', 'r-2022-04-17T212101.json');
    fs.writeFileSync(file, JSON.stringify({
      start: 1000,
      end: 5000,
      faults: [
        { name: 'train-ticket_ts-seat-service_1', fault: 'cpu-hog', start: 3000, duration: 600 },
        { name: 'train-ticket_ts-order-service_1', fault: 'network_delay', start: 1200, duration: 600 },
      ],
    }));
    const [run] = listRuns(root);
    const rec = readRunRecord(run!, normalizeRawConfig({ offsets: { spans: 0, logs: 0, metrics: 0, records: 57600 }, faultTypeMap: { 'cpu-hog': 'cpu_exhaustion' } }), TT);
    assert.deepEqual(rec, {
      start: 58600,
      end: 62600,
      faults: [
        { service: 'ts-order-service', container: 'train-ticket_ts-order-service_1', type: 'network_delay', start: 58800, duration: 600 },
        { service: 'ts-seat-service', container: 'train-ticket_ts-seat-service_1', type: 'cpu_exhaustion', start: 60600, duration: 600 },
      ],
    });
  });

  it('an unknown service in a fault record names the file and the field', () => {
    const root = layout(['r-2022-04-17T212101'], []);
    const file = path.join(root, 'data', 'r-2022-04-17T212101.json');
    fs.writeFileSync(file, JSON.stringify({ start: 1000, end: 5000, faults: [
      { name: 'train-ticket_ts-seat-service_1', fault: 'cpu', start: 3000, duration: 600 },
      { name: 'train-ticket_ts-ghost-service_1', fault: 'cpu', start: 3000, duration: 600 },
    ] }));
    const [run] = listRuns(root);
    const err = thrown(() => readRunRecord(run!, normalizeRawConfig(), TT));
    assert.match(err.message, /no known service/);
    assert.equal(err.details.file, file);
    assert.equal(err.details.field, 'faults[1].name');
    assert.equal(err.details.found, 'train-ticket_ts-ghost-service_1');
  });

  it('a missing record file is a named error', () => {
    const root = layout(['r-2022-04-17T212101'], ['r-2022-04-17T212101']);
    const [run] = listRuns(root);
    fs.rmSync(run!.recordFile!);
    const err = thrown(() => readRunRecord(run!, normalizeRawConfig(), TT));
    assert.match(err.message, /File not found/);
    assert.equal(err.details.file, run!.recordFile);
  });

  it('a record with a non-numeric field names it; normal runs have no record', () => {
    const root = layout(['r-2022-04-17T212101'], [], ['n-2022-04-16T000000']);
    fs.writeFileSync(path.join(root, 'data', 'r-2022-04-17T212101.json'), JSON.stringify({ start: 'soon', end: 5, faults: [] }));
    const runs = listRuns(root);
    assert.equal(readRunRecord(runs[0]!, normalizeRawConfig(), TT), null);
    const err = thrown(() => readRunRecord(runs[1]!, normalizeRawConfig(), TT));
    assert.equal(err.details.field, 'start');
  });
});
