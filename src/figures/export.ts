/**
 * Write a set of figures to a folder: `<id>.html` (interactive, self-contained), `<id>.png` (and
 * optionally `<id>.svg`), plus `figures.json` listing each figure's caption, source and files.
 * PNG/SVG go through one `PngRenderer` for the whole set (plotly is loaded once).
 */
import * as path from 'node:path';
import { writeJsonAtomic } from '../core/io.js';
import { createProgress } from '../core/progress.js';
import type { FigureEntry, FigureSource } from './catalog.js';
import { PngRenderer, writeHtml, type PngRendererOptions } from './plotly.js';

export interface ExportOptions extends PngRendererOptions {
  /** Write PNGs (needs chromium); default true. */
  png?: boolean;
  /** Write SVGs too (needs chromium); default false. */
  svg?: boolean;
}

export interface ExportedFigure {
  id: string;
  paperFigure: string;
  caption: string;
  source: FigureSource;
  /** Paths relative to the output folder. */
  files: { html: string; png?: string; svg?: string };
}

/** Write every entry; returns what was written (also saved as `<outDir>/figures.json`). */
export async function exportFigures(entries: readonly FigureEntry[], outDir: string, options: ExportOptions = {}): Promise<ExportedFigure[]> {
  const wantPng = options.png ?? true;
  const wantSvg = options.svg ?? false;
  const renderer = wantPng || wantSvg ? await PngRenderer.launch(options) : null;
  const progress = createProgress('figures', entries.length);
  const written: ExportedFigure[] = [];
  try {
    for (const entry of entries) {
      const files: ExportedFigure['files'] = { html: `${entry.id}.html` };
      writeHtml(entry.figure, path.join(outDir, files.html), { caption: entry.caption });
      if (renderer !== null && wantPng) {
        files.png = `${entry.id}.png`;
        await renderer.writePng(entry.figure, path.join(outDir, files.png));
      }
      if (renderer !== null && wantSvg) {
        files.svg = `${entry.id}.svg`;
        await renderer.writeSvg(entry.figure, path.join(outDir, files.svg));
      }
      written.push({ id: entry.id, paperFigure: entry.paperFigure, caption: entry.caption, source: entry.source, files });
      progress.tick(1, entry.id);
    }
  } finally {
    progress.stop();
    if (renderer !== null) await renderer.close();
  }
  writeJsonAtomic(path.join(outDir, 'figures.json'), written);
  return written;
}
