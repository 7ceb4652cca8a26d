import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startManifest, finishManifest, describeDataset } from '../../src/core/manifest.js';
import { configHash, checksumPath, stableStringify } from '../../src/core/hash.js';
import { writeFileAtomic, AtomicStreamWriter, publishDir, stagingSibling } from '../../src/core/io.js';
import { initBackend } from '../../src/core/backend.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-test-'));
}

describe('core/manifest', () => {
  it('holds every provenance field', async () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'a.txt'), 'hello');
    const backend = await initBackend('wasm', {
      importPackage: (p) => import(p),
      gpuVisible: () => false,
    });
    const m = startManifest({
      command: 'train',
      config: { lr: 0.001, epochs: 3 },
      seeds: [0, 1],
      protocol: 'temporal',
      backend,
      datasets: [describeDataset(path.join(dir, 'data'), 'unit test data')],
      commandLine: ['eadro', 'train', '--seed', '0'],
      startedAt: new Date('2026-01-01T00:00:00Z'),
    });
    const file = finishManifest(m, path.join(dir, 'run'), new Date('2026-01-01T00:00:02Z'));
    const back = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(back.commandLine, ['eadro', 'train', '--seed', '0']);
    assert.deepEqual(back.config, { lr: 0.001, epochs: 3 });
    assert.equal(back.configHash, configHash({ epochs: 3, lr: 0.001 }));
    assert.deepEqual(back.seeds, [0, 1]);
    assert.equal(back.protocol, 'temporal');
    assert.equal(back.backend.name, 'wasm');
    assert.equal(typeof back.backend.version, 'string');
    assert.equal(back.backend.threads, 1);
    assert.equal(back.packages['@tensorflow/tfjs'], '4.22.0');
    assert.equal(back.packages['@tensorflow/tfjs-node'], 'absent');
    assert.equal(back.datasets[0].checksum.files, 1);
    assert.equal(back.datasets[0].checksum.bytes, 5);
    assert.match(back.datasets[0].checksum.sha256, /^[0-9a-f]{64}$/);
    assert.ok('commit' in back.code && 'dirty' in back.code);
    assert.ok(back.machine.cpuCount >= 1 && back.machine.cpuModel.length > 0);
    assert.ok('gpu' in back.machine);
    assert.equal(back.startedAt, '2026-01-01T00:00:00.000Z');
    assert.equal(back.endedAt, '2026-01-01T00:00:02.000Z');
    assert.equal(back.durationSeconds, 2);
  });

  it('hashes configs independently of key order', () => {
    assert.equal(stableStringify({ b: 1, a: { d: 2, c: 3 } }), '{"a":{"c":3,"d":2},"b":1}');
    assert.equal(configHash({ a: 1, b: 2 }), configHash({ b: 2, a: 1 }));
    assert.notEqual(configHash({ a: 1 }), configHash({ a: 2 }));
  });

  it('checksums datasets by content and path, ignoring hidden temporaries', () => {
    const a = tmpDir();
    const b = tmpDir();
    for (const d of [a, b]) {
      fs.mkdirSync(path.join(d, 'x'));
      fs.writeFileSync(path.join(d, 'x', 'f.json'), '[1,2]');
    }
    fs.writeFileSync(path.join(b, 'x', '.f.json.tmp-1'), 'partial');
    assert.equal(checksumPath(a).sha256, checksumPath(b).sha256);
    fs.writeFileSync(path.join(b, 'x', 'f.json'), '[1,3]');
    assert.notEqual(checksumPath(a).sha256, checksumPath(b).sha256);
  });
});

describe('core/io', () => {
  it('writes atomically and leaves no temporary files', () => {
    const dir = tmpDir();
    const target = path.join(dir, 'deep', 'out.txt');
    writeFileAtomic(target, 'one');
    writeFileAtomic(target, 'two');
    assert.equal(fs.readFileSync(target, 'utf8'), 'two');
    assert.deepEqual(fs.readdirSync(path.dirname(target)), ['out.txt']);
  });

  it('streams to a hidden file and shows it only on close; abort leaves nothing', () => {
    const dir = tmpDir();
    const w = new AtomicStreamWriter(path.join(dir, 'big.json'), 8);
    w.write('[');
    w.write('"abcdefghij"');
    assert.ok(!fs.existsSync(path.join(dir, 'big.json')));
    w.write(']');
    w.close();
    assert.equal(fs.readFileSync(path.join(dir, 'big.json'), 'utf8'), '["abcdefghij"]');
    const a = new AtomicStreamWriter(path.join(dir, 'gone.json'));
    a.write('x');
    a.abort();
    assert.deepEqual(fs.readdirSync(dir), ['big.json']);
  });

  it('publishes a staged folder whole: into an empty place, over a stale copy, never over a good one', () => {
    const dir = tmpDir();
    const dest = path.join(dir, 'data');
    const stage = (content: string): string => {
      const staging = stagingSibling(dest);
      fs.mkdirSync(staging);
      fs.writeFileSync(path.join(staging, 'f.txt'), content);
      return staging;
    };
    const good = (): boolean => fs.existsSync(path.join(dest, 'f.txt')) && fs.readFileSync(path.join(dest, 'f.txt'), 'utf8') !== 'stale';
    assert.equal(publishDir(stage('first'), dest, good), true);
    assert.equal(fs.readFileSync(path.join(dest, 'f.txt'), 'utf8'), 'first');
    // another process's copy is already good: ours is dropped, theirs stays
    assert.equal(publishDir(stage('second'), dest, good), false);
    assert.equal(fs.readFileSync(path.join(dest, 'f.txt'), 'utf8'), 'first');
    // a stale copy (an older generator's) is replaced
    fs.writeFileSync(path.join(dest, 'f.txt'), 'stale');
    assert.equal(publishDir(stage('third'), dest, good), true);
    assert.equal(fs.readFileSync(path.join(dest, 'f.txt'), 'utf8'), 'third');
    assert.deepEqual(fs.readdirSync(dir), ['data'], 'no staging or stale folder left behind');
  });
});
