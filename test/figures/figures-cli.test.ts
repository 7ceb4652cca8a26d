import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { syntheticFigureSet } from '../../src/figures/catalog.js';
import { exportFigures } from '../../src/figures/export.js';
import { pngInfo } from '../../src/figures/png.js';
import { HAVE_CHROMIUM, needsChromium } from './helpers.js';

const BIN = path.resolve('bin/eadro.js');

describe('figures/catalog + export', function () {
  this.timeout(120_000);
  let quiet: string | undefined;
  before(() => {
    quiet = process.env['EADRO_QUIET'];
    process.env['EADRO_QUIET'] = '1'; // no progress lines in the test report
  });
  after(() => {
    if (quiet === undefined) delete process.env['EADRO_QUIET'];
    else process.env['EADRO_QUIET'] = quiet;
  });

  it('builds Figs. 2, 3, 4, 6 and 7 from synthetic data, each saying so', () => {
    const entries = syntheticFigureSet(1, { tsneIterations: 60 });
    assert.deepEqual(entries.map((e) => e.paperFigure), ['Fig. 2', 'Fig. 3', 'Fig. 4', 'Fig. 6 (idea)', 'Fig. 7']);
    for (const e of entries) {
      assert.equal(e.source, 'synthetic');
      assert.match(JSON.stringify(e.figure.layout['title']), /synthetic data/, `${e.id} title says synthetic`);
      assert.match(e.caption, /synthetic data \(seed 1\)/);
      assert.ok(e.figure.data.length > 0);
    }
  });

  it('same seed, same figures', () => {
    const a = JSON.stringify(syntheticFigureSet(5, { tsneIterations: 40 }).map((e) => e.figure));
    const b = JSON.stringify(syntheticFigureSet(5, { tsneIterations: 40 }).map((e) => e.figure));
    assert.equal(a, b);
  });

  it('exports HTML and figures.json without a browser when PNG is off', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-export-'));
    const entries = syntheticFigureSet(0, { tsneIterations: 40 }).slice(0, 2);
    const written = await exportFigures(entries, dir, { png: false });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['fig2-latency.html', 'fig3-log-event.html', 'figures.json']);
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'figures.json'), 'utf8')) as typeof written;
    assert.deepEqual(index.map((f) => f.files), [{ html: 'fig2-latency.html' }, { html: 'fig3-log-event.html' }]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('cli: eadro figures', function () {
  this.timeout(240_000);

  it(needsChromium('writes HTML + PNG per figure, figures.json and a manifest, and names each source'), function () {
    if (!HAVE_CHROMIUM) return this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-figures-'));
    const r = spawnSync(process.execPath, [BIN, 'figures', '--out', dir, '--seed', '2', '--tsne-iterations', '80'], {
      encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Figs\. 2-4 from testbed simulation \(tt, tiny, seed 2\)/);
    assert.match(r.stdout, /Figs\. 6-7 from synthetic data \(seed 2\): no trained model exists yet/);
    assert.match(r.stdout, /wrote 5 figures/);
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'figures.json'), 'utf8')) as { id: string; source: string; files: { html: string; png?: string } }[];
    assert.deepEqual(index.map((f) => `${f.id}:${f.source}`), [
      'fig2-latency:testbed', 'fig3-log-event:testbed', 'fig4-cpu:testbed', 'fig6-ranking:synthetic', 'fig7-tsne:synthetic',
    ]);
    for (const f of index) {
      assert.ok(fs.statSync(path.join(dir, f.files.html)).size > 1_000_000, `${f.id}.html carries the bundle`);
      assert.ok(f.files.png !== undefined);
      const info = pngInfo(fs.readFileSync(path.join(dir, f.files.png)), f.files.png);
      assert.ok(info.width >= 800 && info.height >= 400, `${f.id}.png is ${info.width}x${info.height}`);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
      command: string; seeds: number[]; config: { source: string }; datasets: { description: string; checksum: unknown }[];
    };
    assert.equal(manifest.command, 'figures');
    assert.deepEqual(manifest.seeds, [2]);
    assert.equal(manifest.config.source, 'testbed');
    assert.match(manifest.datasets[0]!.description, /testbed simulation/);
    assert.notEqual(manifest.datasets[0]!.checksum, null);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--no-png writes the HTML files without touching the browser', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-figures-nopng-'));
    const r = spawnSync(process.execPath, [BIN, 'figures', '--out', dir, '--no-png', '--source', 'synthetic', '--tsne-iterations', '40'], {
      encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /all from synthetic data/);
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.png')).length, 0);
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.html')).length, 5);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
