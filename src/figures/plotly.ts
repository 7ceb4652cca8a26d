/**
 * Plotly figures without a network: figure specs are plain `{ data, layout }` objects (what
 * `Plotly.newPlot` takes), written as self-contained HTML (the plotly.js-dist-min bundle inlined, no
 * CDN) or rendered to PNG/SVG by a headless Debian chromium driven through playwright-core.
 *
 * Rendering cost (tooling-notes §4): launching the browser ~1 s and parsing the 4.8 MB bundle ~4 s,
 * then ~0.15 s per PNG. So `PngRenderer` loads plotly ONCE into one long-lived page and renders every
 * figure through it; create one renderer per process and close it when done.
 *
 * This module is also imported by tslab notebooks (TypeScript 5.0, compiled to CommonJS), so it avoids
 * `import.meta` and finds the plotly bundle from the working directory, the entry script and
 * `__filename` instead (see `plotlyBundlePath`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { EadroError } from '../core/errors.js';
import { writeFileAtomic } from '../core/io.js';

/** One plotly trace (`scatter`, `bar`, ...): a plain JSON object, see plotly.js reference. */
export interface PlotlyTrace {
  type: string;
  name?: string;
  x?: readonly (number | string)[];
  y?: readonly (number | string)[];
  mode?: string;
  marker?: Record<string, unknown>;
  line?: Record<string, unknown>;
  xaxis?: string;
  yaxis?: string;
  legendgroup?: string;
  showlegend?: boolean;
  orientation?: 'v' | 'h';
  text?: readonly string[] | string;
  hovertemplate?: string;
  [key: string]: unknown;
}

/** A plotly layout: a plain JSON object (title, axes, shapes, annotations, size...). */
export type PlotlyLayout = Record<string, unknown> & { width?: number; height?: number };

/** A figure: exactly what `Plotly.newPlot(div, data, layout)` takes, JSON-serialisable. */
export interface Figure {
  data: PlotlyTrace[];
  layout: PlotlyLayout;
}

export const plotlyDefaults = {
  /** Browser used for PNG/SVG export: Debian's chromium package (tooling-notes §4). */
  chromiumPath: '/usr/bin/chromium',
  /**
   * Flags for a headless, offline, sandbox-less chromium (tooling-notes §4: runs as root in CI, no
   * GPU, and no background network traffic).
   */
  chromiumArgs: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
    '--disable-quic',
  ] as readonly string[],
  /** Image size in CSS pixels when the layout sets none (ours: a readable single-column figure). */
  width: 800,
  /** Image height in CSS pixels when the layout sets none (ours: 5:3 aspect). */
  height: 480,
  /** Device-pixel scale of PNGs: 2 gives sharp images in notebooks and papers (tooling-notes §4). */
  scale: 2,
  /** Milliseconds allowed for the browser launch (ours: a loaded 2-core machine took 1.5 s). */
  launchTimeoutMs: 60_000,
  /** The npm package whose minified bundle is inlined and loaded (package.json). */
  bundlePackage: 'plotly.js-dist-min',
  /** Command that installs the browser, named in the error when it is missing. */
  installHint: 'apt-get install -y chromium   (or: bash scripts/setup-system.sh)',
};

const BUNDLE_FILE = 'plotly.min.js';

/**
 * Path of the plotly.min.js bundle. Searched upward from the working directory, the entry script and
 * (under CommonJS, e.g. tslab) this module's own file, because `import.meta` cannot be used here.
 */
export function plotlyBundlePath(): string {
  const starts: string[] = [process.cwd()];
  if (process.argv[1] !== undefined) starts.push(path.dirname(path.resolve(process.argv[1])));
  if (typeof __filename === 'string') starts.push(path.dirname(__filename));
  for (const start of starts) {
    let dir = start;
    for (;;) {
      const candidate = path.join(dir, 'node_modules', plotlyDefaults.bundlePackage, BUNDLE_FILE);
      if (fs.existsSync(candidate)) return candidate;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new EadroError(`The ${plotlyDefaults.bundlePackage} bundle was not found.`, {
    file: `node_modules/${plotlyDefaults.bundlePackage}/${BUNDLE_FILE}`,
    expected: `installed package (searched upward from ${starts.join(', ')})`,
    hint: 'run npm ci in the project root',
  });
}

let cachedBundle: { file: string; source: string } | null = null;

/** The bundle's source text (4.8 MB), read once per process. */
export function plotlyBundleSource(): string {
  const file = plotlyBundlePath();
  if (cachedBundle === null || cachedBundle.file !== file) {
    cachedBundle = { file, source: fs.readFileSync(file, 'utf8') };
  }
  return cachedBundle.source;
}

/** JSON safe to embed in a <script> element: `<` escaped so no `</script>` can end it early. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Plain-text title of a figure, for the HTML <title>; plotly titles may be a string or `{text}`. */
export function figureTitle(fig: Figure): string {
  const title = fig.layout['title'];
  if (typeof title === 'string') return title;
  if (title !== null && typeof title === 'object' && typeof (title as { text?: unknown }).text === 'string') {
    return (title as { text: string }).text;
  }
  return 'figure';
}

/**
 * A standalone interactive HTML page for the figure: the plotly bundle is inlined (no CDN, works
 * offline), ~4.8 MB per file. `caption` is shown under the plot as plain text.
 */
export function figureHtml(fig: Figure, options: { caption?: string } = {}): string {
  const title = escapeHtml(figureTitle(fig).replace(/<[^>]*>/g, ''));
  const caption = options.caption === undefined ? '' : `<p class="caption">${escapeHtml(options.caption)}</p>`;
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8">',
    `<title>${title}</title>`,
    '<style>body{font-family:sans-serif;margin:1em}.caption{max-width:60em;color:#333}</style>',
    `<script>${plotlyBundleSource()}</script>`,
    '</head><body>',
    '<div id="plot"></div>',
    caption,
    `<script>Plotly.newPlot('plot', ${scriptSafeJson(fig.data)}, ${scriptSafeJson(fig.layout)}, {responsive: true});</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** Write `figureHtml(fig)` to `file` atomically. Returns the file path. */
export function writeHtml(fig: Figure, file: string, options: { caption?: string } = {}): string {
  writeFileAtomic(file, figureHtml(fig, options));
  return file;
}

/** Whether the export browser exists at `chromiumPath`. */
export function chromiumAvailable(chromiumPath: string = plotlyDefaults.chromiumPath): boolean {
  try {
    fs.accessSync(chromiumPath, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ImageOptions {
  /** CSS pixels; default: the layout's width, else plotlyDefaults.width. */
  width?: number;
  /** CSS pixels; default: the layout's height, else plotlyDefaults.height. */
  height?: number;
  /** Device-pixel ratio of PNGs (the PNG is width*scale x height*scale pixels). */
  scale?: number;
}

export interface PngRendererOptions {
  chromiumPath?: string;
  chromiumArgs?: readonly string[];
}

/** Shape of the browser global the page script uses; declared here because our lib has no DOM. */
interface BrowserGlobals {
  document: { getElementById(id: string): unknown };
  Plotly: {
    react(gd: unknown, data: unknown, layout: unknown): Promise<unknown>;
    toImage(gd: unknown, opts: { format: string; width: number; height: number; scale: number }): Promise<string>;
  };
}

/**
 * Renders many figures to PNG/SVG through one headless chromium page with plotly loaded once.
 * `await PngRenderer.launch()`, then `renderPng`/`renderSvg` any number of times, then `close()`.
 */
export class PngRenderer {
  private closed = false;

  private constructor(
    private readonly browser: Browser,
    private readonly page: Page,
  ) {}

  /** Launch chromium and load plotly into a page. Throws EadroError if chromium is not installed. */
  static async launch(options: PngRendererOptions = {}): Promise<PngRenderer> {
    const executablePath = options.chromiumPath ?? plotlyDefaults.chromiumPath;
    if (!chromiumAvailable(executablePath)) {
      throw new EadroError('PNG/SVG export needs the chromium browser, which is not installed.', {
        file: executablePath,
        expected: 'an executable chromium (Debian package "chromium")',
        hint: `install it with: ${plotlyDefaults.installHint}; or export HTML only`,
      });
    }
    const bundle = plotlyBundlePath();
    // Imported lazily: HTML export and the figure builders must not need playwright-core.
    const { chromium } = await import('playwright-core');
    let browser: Browser;
    try {
      browser = await chromium.launch({
        executablePath,
        args: [...(options.chromiumArgs ?? plotlyDefaults.chromiumArgs)],
        timeout: plotlyDefaults.launchTimeoutMs,
      });
    } catch (err) {
      throw new EadroError('chromium is installed but could not be started for PNG export.', {
        file: executablePath,
        found: (err as Error).message.split('\n')[0],
        hint: `reinstall it with: ${plotlyDefaults.installHint}`,
      });
    }
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body><div id="plot"></div></body></html>');
      await page.addScriptTag({ path: bundle });
      return new PngRenderer(browser, page);
    } catch (err) {
      await browser.close();
      throw err;
    }
  }

  /** Render one figure; PNG comes back as bytes, SVG as markup. */
  private async renderDataUrl(fig: Figure, format: 'png' | 'svg', options: ImageOptions): Promise<string> {
    if (this.closed) throw new Error('PngRenderer: render after close()');
    const width = options.width ?? numberOr(fig.layout.width, plotlyDefaults.width);
    const height = options.height ?? numberOr(fig.layout.height, plotlyDefaults.height);
    const scale = options.scale ?? plotlyDefaults.scale;
    return this.page.evaluate(
      async ({ data, layout, format, width, height, scale }) => {
        const g = globalThis as unknown as BrowserGlobals;
        const gd = g.document.getElementById('plot');
        await g.Plotly.react(gd, data, layout);
        return g.Plotly.toImage(gd, { format, width, height, scale });
      },
      { data: fig.data as unknown[], layout: fig.layout, format, width, height, scale },
    );
  }

  /** PNG bytes of the figure (width*scale x height*scale pixels). */
  async renderPng(fig: Figure, options: ImageOptions = {}): Promise<Uint8Array> {
    const url = await this.renderDataUrl(fig, 'png', options);
    const comma = url.indexOf(',');
    return new Uint8Array(Buffer.from(url.slice(comma + 1), 'base64'));
  }

  /** SVG markup of the figure. */
  async renderSvg(fig: Figure, options: ImageOptions = {}): Promise<string> {
    const url = await this.renderDataUrl(fig, 'svg', options);
    const comma = url.indexOf(',');
    return decodeURIComponent(url.slice(comma + 1));
  }

  /** Render and write a PNG atomically. Returns the file path. */
  async writePng(fig: Figure, file: string, options: ImageOptions = {}): Promise<string> {
    writeFileAtomic(file, await this.renderPng(fig, options));
    return file;
  }

  /** Render and write an SVG atomically. Returns the file path. */
  async writeSvg(fig: Figure, file: string, options: ImageOptions = {}): Promise<string> {
    writeFileAtomic(file, await this.renderSvg(fig, options));
    return file;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.browser.close();
  }
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * Render figures to PNG with a renderer that lives only for this call: for one-off use (a notebook
 * cell). For many calls, keep one `PngRenderer` instead.
 */
export async function renderPngs(figs: readonly Figure[], options: ImageOptions & PngRendererOptions = {}): Promise<Uint8Array[]> {
  const renderer = await PngRenderer.launch(options);
  try {
    const out: Uint8Array[] = [];
    for (const fig of figs) out.push(await renderer.renderPng(fig, options));
    return out;
  } finally {
    await renderer.close();
  }
}
