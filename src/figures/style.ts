/**
 * Shared look of every figure: colours, fonts and the "normal" phase colour, so the same root cause
 * or fault has the same colour in every figure of a notebook.
 */

export const figureStyleDefaults = {
  /**
   * Categorical palette (ours: the Okabe-Ito colour-blind-safe palette, minus yellow and black which
   * read poorly on white), cycled when there are more categories.
   */
  palette: ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#56B4E9', '#E69F00', '#7F3C8D', '#11A579', '#3969AC', '#E73F74'] as readonly string[],
  /** Colour of normal (no fault) data: grey, so faults stand out. */
  normalColor: '#9E9E9E',
  /** Colour of the highlighted item (true culprit in Fig. 6). */
  highlightColor: '#D55E00',
  /** Font (DejaVu Sans is what Debian's chromium has; plotly falls back through the list). */
  font: { family: 'DejaVu Sans, Arial, sans-serif', size: 13 },
  /** Fill opacity of shaded fault-injection intervals. */
  faultShadeOpacity: 0.12,
  /** Plot background: white, for print. */
  background: '#FFFFFF',
};

/** Colour of the i-th category, cycling the palette. */
export function categoryColor(index: number): string {
  const p = figureStyleDefaults.palette;
  return p[((index % p.length) + p.length) % p.length]!;
}

/** Stable category -> colour map in order of first appearance (sorted when `sort` is true). */
export function categoryColors(categories: readonly string[], sort = false): Map<string, string> {
  const unique = [...new Set(categories)];
  if (sort) unique.sort();
  return new Map(unique.map((c, i) => [c, categoryColor(i)]));
}

/** Layout keys every figure shares. */
export function baseLayout(): Record<string, unknown> {
  return {
    font: figureStyleDefaults.font,
    paper_bgcolor: figureStyleDefaults.background,
    plot_bgcolor: figureStyleDefaults.background,
    margin: { l: 70, r: 30, t: 60, b: 60 },
  };
}
