import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EadroError } from '../../src/core/errors.js';
import { figureHtml, plotlyBundleSource, PngRenderer, writeHtml, type Figure } from '../../src/figures/plotly.js';
import { pngInfo } from '../../src/figures/png.js';
import { HAVE_CHROMIUM, needsChromium } from './helpers.js';

const fig: Figure = {
  data: [
    { type: 'scatter', mode: 'lines+markers', name: 'a </script><script>alert(1)</script>', x: [1, 2, 3], y: [3, 1, 2] },
    { type: 'bar', name: 'b', x: ['p', 'q'], y: [1, 2] },
  ],
  layout: { title: { text: 'A test <b>figure</b>' } },
};

describe('figures/plotly: HTML', () => {
  it('inlines the plotly bundle and loads nothing from the network', () => {
    const html = figureHtml(fig, { caption: 'caption & <text>' });
    const bundle = plotlyBundleSource();
    assert.ok(bundle.length > 1_000_000, 'bundle is the real minified plotly');
    assert.ok(html.includes(bundle), 'bundle inlined verbatim');
    assert.doesNotMatch(html, /<script[^>]*\ssrc=/i, 'no external script');
    assert.doesNotMatch(html, /<link[^>]*href=["']https?:/i, 'no external stylesheet');
    assert.match(html, /<title>A test figure<\/title>/);
    assert.match(html, /caption &amp; &lt;text&gt;/);
  });

  it('cannot be broken out of by data containing </script>', () => {
    const html = figureHtml(fig);
    const scriptsOpened = html.match(/<script>/g)?.length ?? 0;
    const scriptsClosed = html.match(/<\/script>/g)?.length ?? 0;
    assert.equal(scriptsOpened, 2);
    assert.equal(scriptsClosed, 2);
    assert.ok(html.includes('\\u003c/script>'), 'the < of the trace name is escaped');
  });

  it('writeHtml writes the file (and only it) atomically', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-html-'));
    const file = writeHtml(fig, path.join(dir, 'sub', 'f.html'));
    assert.equal(fs.readFileSync(file, 'utf8'), figureHtml(fig));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'sub')), ['f.html']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('figures/plotly: PNG/SVG export', function () {
  this.timeout(180_000);
  let renderer: PngRenderer | null = null;

  before(async function () {
    if (HAVE_CHROMIUM) renderer = await PngRenderer.launch();
  });
  after(async () => {
    await renderer?.close();
  });

  it(needsChromium('renders a valid PNG of the requested size (scale 2 doubles it)'), async function () {
    if (renderer === null) return this.skip();
    const png = await renderer.renderPng(fig, { width: 400, height: 300 });
    const info = pngInfo(png);
    assert.deepEqual([info.width, info.height], [800, 600]);
    assert.equal(info.bitDepth, 8);
    // A blank 800x600 PNG compresses to a few KB; lines, markers, bars, axes and text give more.
    assert.ok(png.length > 10_000 && png.length < 5_000_000, `plausible size, got ${png.length} bytes`);
    const small = await renderer.renderPng(fig, { width: 320, height: 200, scale: 1 });
    assert.deepEqual([pngInfo(small).width, pngInfo(small).height], [320, 200]);
  });

  it(needsChromium('uses the layout size when no size is given, and renders SVG'), async function () {
    if (renderer === null) return this.skip();
    const sized: Figure = { data: fig.data, layout: { ...fig.layout, width: 500, height: 250 } };
    const info = pngInfo(await renderer.renderPng(sized));
    assert.deepEqual([info.width, info.height], [1000, 500]);
    const svg = await renderer.renderSvg(sized);
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /A test/);
  });

  it('names the missing browser and how to install it', async () => {
    await assert.rejects(
      PngRenderer.launch({ chromiumPath: '/nonexistent/chromium' }),
      (err: unknown) => {
        assert.ok(err instanceof EadroError);
        assert.match(err.message, /chromium/);
        assert.match(err.message, /\/nonexistent\/chromium/);
        assert.match(err.message, /apt-get install -y chromium/);
        assert.match(err.message, /scripts\/setup-system\.sh/);
        return true;
      },
    );
  });
});
