/**
 * The raw layout (data-formats.md §1): every file parses; runs and records pair by name; every source
 * overlaps its record's [start, end]; same seed -> identical bytes, other seed -> different bytes.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EADRO_KPIS, simulate, type SystemName } from '../../src/testbed/index.js';
import { CPP_LINE, JAVA_LINE, listFiles, logTime, readLogs, readSpans, tmpDir } from './helpers.js';
import { tinyData } from './fixtures.js';

const RUN_NAME = /^\d{4}-\d{2}-\d{2}T\d{6}D\d{4}-\d{2}-\d{2}T\d{6}$/;

for (const system of ['tt', 'sn'] as SystemName[]) {
  describe(`testbed raw layout (${system}, tiny)`, function () {
    this.timeout(120_000);

    it('writes no fault/<run>/ and data/<run>/ with data/<run>.json paired by name', async () => {
      const { root, manifest } = await tinyData(system);
      const normal = fs.readdirSync(path.join(root, 'no fault'));
      const data = fs.readdirSync(path.join(root, 'data'));
      const runDirs = data.filter((f) => !f.endsWith('.json')).sort();
      const records = data.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
      assert.ok(normal.length >= 1);
      assert.ok(runDirs.length >= 2);
      assert.deepEqual(records, runDirs);
      for (const name of [...normal, ...runDirs]) {
        assert.match(name, RUN_NAME);
        const dir = path.join(root, normal.includes(name) ? 'no fault' : 'data', name);
        assert.ok(fs.existsSync(path.join(dir, 'spans.json')) && fs.existsSync(path.join(dir, 'logs.json')), name);
        assert.deepEqual(fs.readdirSync(path.join(dir, 'metrics')).sort(), manifest.topology.services.map((s) => `${s}.csv`).sort());
      }
      assert.equal(manifest.counts.runs, normal.length + runDirs.length);
      assert.ok(!listFiles(root).some((f) => f.includes('.tmp-') || f.includes('.partial')), 'no temporary files left');
    });

    it('fault records name containers in the released style and match the manifest', async () => {
      const { root, manifest } = await tinyData(system);
      for (const run of manifest.runs.filter((r) => r.kind === 'fault')) {
        const rec = JSON.parse(fs.readFileSync(path.join(root, 'data', `${run.id}.json`), 'utf8')) as {
          start: number; end: number; faults: Array<{ name: string; fault: string; start: number; duration: number }>;
        };
        assert.equal(rec.start, run.start);
        assert.equal(rec.end, run.end);
        assert.equal(rec.faults.length, run.faults.length);
        rec.faults.forEach((f, i) => {
          const svc = run.faults[i]!.service;
          if (system === 'tt') {
            assert.match(f.name, /^train-ticket_ts-[a-z0-9-]+-service_1$/);
            assert.equal(f.name.split('_')[1], svc, 'TT: the service is the part between underscores');
          } else {
            assert.equal(f.name, `socialnetwork-${svc}-1`);
          }
          assert.ok(['cpu_exhaustion', 'network_delay', 'packet_loss'].includes(f.fault));
          assert.ok(f.start >= rec.start && f.start + f.duration <= rec.end);
        });
      }
    });

    it('every file parses and every source covers its run (and its record) in time', async () => {
      const { root, manifest } = await tinyData(system);
      for (const run of manifest.runs) {
        const dir = path.join(root, run.dir);
        const spans = readSpans(dir);
        assert.ok(spans.length > 0, `${run.id}: spans`);
        const ids = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
        for (const s of spans) {
          assert.ok(Number.isInteger(s.start * 1e6) || Math.abs(Math.round(s.start * 1e6) - s.start * 1e6) < 1, 'startTime in whole microseconds');
          assert.ok(s.duration > 0);
          if (s.parentId !== null) assert.ok(ids.has(`${s.traceId}/${s.parentId}`), 'parent reference resolves');
          assert.ok(manifest.topology.services.includes(s.service));
        }
        const spanTimes = spans.map((s) => s.start);
        const logs = readLogs(dir);
        assert.deepEqual(Object.keys(logs).sort(), [...manifest.topology.services].sort());
        const logTimes: number[] = [];
        for (const lines of Object.values(logs)) {
          let prev = -Infinity;
          for (const l of lines) {
            assert.match(l, system === 'tt' ? JAVA_LINE : CPP_LINE);
            const t = logTime(l);
            assert.ok(t >= prev - 1e-6, 'lines sorted by time');
            prev = t;
            logTimes.push(t);
          }
        }
        for (const service of manifest.topology.services) {
          const lines = fs.readFileSync(path.join(dir, 'metrics', `${service}.csv`), 'utf8').split('\n').filter((l) => l.length > 0);
          const header = lines[0]!.split(',');
          assert.equal(header[0], 'timestamp');
          for (const k of EADRO_KPIS) assert.ok(header.includes(k), `${service}.csv has ${k}`);
          assert.ok(header.length > EADRO_KPIS.length + 1, 'extra cAdvisor columns too');
          assert.equal(lines.length - 1, run.end - run.start, 'one row per second');
          const first = Number(lines[1]!.split(',')[0]);
          const last = Number(lines[lines.length - 1]!.split(',')[0]);
          assert.equal(first, run.start);
          assert.equal(last, run.end - 1);
          for (const l of lines.slice(1)) {
            const cells = l.split(',');
            assert.equal(cells.length, header.length);
            assert.ok(cells.every((c) => Number.isFinite(Number(c))), `${service}.csv: ${l}`);
          }
        }
        for (const [name, times] of [['spans', spanTimes], ['logs', logTimes]] as const) {
          const lo = Math.min(...times);
          const hi = Math.max(...times);
          assert.ok(lo >= run.start && lo < run.start + 60, `${run.id} ${name} start ${lo} vs ${run.start}`);
          assert.ok(hi < run.end + 10 && hi > run.end - 60, `${run.id} ${name} end ${hi} vs ${run.end}`);
        }
      }
    });

    it('testbed.json counts what was written', async () => {
      const { root, manifest } = await tinyData(system);
      let spans = 0;
      let lines = 0;
      for (const run of manifest.runs) {
        spans += readSpans(path.join(root, run.dir)).length;
        lines += Object.values(readLogs(path.join(root, run.dir))).reduce((a, l) => a + l.length, 0);
      }
      assert.equal(manifest.counts.spans, spans);
      assert.equal(manifest.counts.logLines, lines);
      const bytes = listFiles(root).filter((f) => f !== 'testbed.json').reduce((a, f) => a + fs.statSync(path.join(root, f)).size, 0);
      assert.equal(manifest.counts.bytes, bytes);
      assert.deepEqual(manifest.clockOffsets, { spans: 0, logs: 0, metrics: 0, records: 0 });
    });
  });
}

describe('testbed determinism', function () {
  this.timeout(120_000);

  function snapshot(root: string): Map<string, Buffer> {
    return new Map(listFiles(root).map((f) => [f, fs.readFileSync(path.join(root, f))]));
  }

  it('same seed -> identical bytes; another seed -> different bytes', async () => {
    const a = tmpDir('det-a');
    const b = tmpDir('det-b');
    const c = tmpDir('det-c');
    await simulate({ system: 'sn', profile: 'tiny', seed: 11, out: a });
    await simulate({ system: 'sn', profile: 'tiny', seed: 11, out: b });
    await simulate({ system: 'sn', profile: 'tiny', seed: 12, out: c });
    const sa = snapshot(a);
    const sb = snapshot(b);
    assert.deepEqual([...sa.keys()], [...sb.keys()]);
    for (const [f, bytes] of sa) assert.ok(bytes.equals(sb.get(f)!), `${f} differs between two runs with the same seed`);
    const sc = snapshot(c);
    const differing = [...sa].filter(([f, bytes]) => !sc.has(f) || !bytes.equals(sc.get(f)!));
    assert.ok(differing.length > sa.size / 2, 'another seed changes the output');
  });

  it('rerunning into the same directory replaces the previous testbed; foreign data is refused', async () => {
    const dir = tmpDir('rerun');
    await simulate({ system: 'sn', profile: 'tiny', seed: 1, out: dir });
    const first = listFiles(dir);
    await simulate({ system: 'sn', profile: 'tiny', seed: 2, out: dir });
    assert.equal(listFiles(dir).length, first.length);
    const foreign = tmpDir('foreign');
    fs.mkdirSync(path.join(foreign, 'data'));
    await assert.rejects(simulate({ system: 'sn', profile: 'tiny', seed: 1, out: foreign }), /raw data that the testbed did not write/);
  });
});
