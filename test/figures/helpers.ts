/** Shared by the figure tests: whether the export browser is here, and a skip reason naming the fix. */
import { chromiumAvailable, plotlyDefaults } from '../../src/figures/plotly.js';

export const HAVE_CHROMIUM = chromiumAvailable();

/** Test title that carries the skip reason, so a skipped test says why in the mocha report. */
export function needsChromium(title: string): string {
  return HAVE_CHROMIUM ? title : `${title} [SKIPPED: ${plotlyDefaults.chromiumPath} absent; bash scripts/setup-system.sh]`;
}
