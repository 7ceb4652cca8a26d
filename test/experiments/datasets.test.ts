import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checksumPath } from '../../src/core/hash.js';
import { rawDatasetInfo, testbedRoot } from '../../src/experiments/datasets.js';

describe('experiments/datasets', () => {
  it('describes a raw folder by its content checksum, and an absent one with none', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-raw-info-'));
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'run.json'), '{"start":0,"end":1,"faults":[]}');
    const info = rawDatasetInfo(dir, 'unit');
    assert.deepEqual(info.checksum, checksumPath(dir));
    assert.equal(info.path, path.resolve(dir));
    assert.equal(info.description, 'unit');
    assert.equal(rawDatasetInfo(path.join(dir, 'missing'), 'none').checksum, null);
  });

  it('puts each testbed dataset in its own folder under the data directory', () => {
    const prev = process.env['EADRO_DATA_DIR'];
    process.env['EADRO_DATA_DIR'] = '/data';
    try {
      assert.equal(testbedRoot('TT', 'quick', 3), path.join('/data', 'testbed', 'tt-quick-seed3'));
    } finally {
      if (prev === undefined) delete process.env['EADRO_DATA_DIR'];
      else process.env['EADRO_DATA_DIR'] = prev;
    }
  });
});
