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

/** sRGB hex -> CIELAB (D65), for colour distances. */
export function hexToLab(hex: string): [number, number, number] {
  const v = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4)));
  const [r, g, b] = v as [number, number, number];
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** Euclidean distance in CIELAB (ΔE*76). */
export function deltaE(a: string, b: string): number {
  const p = hexToLab(a);
  const q = hexToLab(b);
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

export const distinctPaletteDefaults = {
  /** Colours it starts from (Okabe-Ito's blue, vermillion, green, purple: the usual first four). */
  seeds: ['#0072B2', '#D55E00', '#009E73', '#CC79A7'] as readonly string[],
  /** Levels per sRGB channel of the candidate grid. */
  levels: 8,
  /** Lightness bounds (L*): readable on white, not black. */
  minLightness: 25,
  maxLightness: 82,
  /** Chroma floor: greys are the "normal" colour. */
  minChroma: 25,
};

const paletteCache = new Map<number, string[]>();

/**
 * `n` colours as far apart as they can be (greedy farthest-point choice in CIELAB from a grid of
 * candidate colours, after the seed colours), so that up to about 30 categories (27 TT services) stay
 * tellable apart; the same `n` always gives the same colours.
 */
export function distinctPalette(n: number): string[] {
  const cached = paletteCache.get(n);
  if (cached !== undefined) return cached;
  const d = distinctPaletteDefaults;
  const hex = (v: number): string => Math.round(v).toString(16).padStart(2, '0').toUpperCase();
  const candidates: { hex: string; lab: [number, number, number] }[] = [];
  for (let r = 0; r < d.levels; r++) {
    for (let g = 0; g < d.levels; g++) {
      for (let b = 0; b < d.levels; b++) {
        const h = `#${hex((r * 255) / (d.levels - 1))}${hex((g * 255) / (d.levels - 1))}${hex((b * 255) / (d.levels - 1))}`;
        const lab = hexToLab(h);
        if (lab[0] < d.minLightness || lab[0] > d.maxLightness || Math.hypot(lab[1], lab[2]) < d.minChroma) continue;
        candidates.push({ hex: h, lab });
      }
    }
  }
  const chosen = d.seeds.slice(0, n).map((h) => ({ hex: h, lab: hexToLab(h) }));
  const dist = (a: [number, number, number], b: [number, number, number]): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  const nearest = candidates.map((c) => Math.min(...chosen.map((x) => dist(c.lab, x.lab))));
  while (chosen.length < n) {
    let best = 0;
    for (let i = 1; i < candidates.length; i++) if (nearest[i]! > nearest[best]!) best = i;
    const pick = candidates[best]!;
    chosen.push(pick);
    candidates.forEach((c, i) => (nearest[i] = Math.min(nearest[i]!, dist(c.lab, pick.lab))));
  }
  const out = chosen.map((c) => c.hex);
  paletteCache.set(n, out);
  return out;
}

/**
 * Stable category -> colour map in order of first appearance (sorted when `sort` is true): the
 * categorical palette while it has enough colours, else `distinctPalette` (no colour repeats and
 * no near-twins, e.g. Fig. 7's 12 SN root causes).
 */
export function categoryColors(categories: readonly string[], sort = false): Map<string, string> {
  const unique = [...new Set(categories)];
  if (sort) unique.sort();
  const colours = unique.length <= distinctPaletteDefaults.seeds.length ? [...distinctPaletteDefaults.seeds] : distinctPalette(unique.length);
  return new Map(unique.map((c, i) => [c, colours[i]!]));
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
