/**
 * The culprit-frequency prior (issue 26, ours; not in the paper): ranks the services of every window
 * by how often each was the root cause among the training part's faulty windows, most frequent first,
 * ties broken by service index. It reads no telemetry, so whatever a localizer scores above it is skill
 * beyond the label frequencies; on data where a few services are the culprit of most faults (a
 * real deployment's fault record), random ranking is too low a bar and this one is the honest floor.
 * As the trace-based localizers, it is given the true anomaly existence (every test window flagged).
 */
import { EadroError } from '../../core/errors.js';
import type { WindowDataset } from '../../windows/types.js';
import type { FitInput, WindowLocalizer } from '../contract.js';

export class CulpritPrior implements WindowLocalizer {
  readonly name = 'culprit-prior';
  /** Faulty training windows per service, [N]. */
  private counts: number[] | null = null;
  private order: number[] | null = null;

  fit(input: FitInput): void {
    const n = input.ds.nodes.length;
    const counts = new Array<number>(n).fill(0);
    for (const i of input.train) {
      const label = input.ds.labels[i] as number;
      if (label >= 0) counts[label] = (counts[label] ?? 0) + 1;
    }
    this.counts = counts;
    this.order = Array.from({ length: n }, (_, j) => j).sort((a, b) => counts[b]! - counts[a]! || a - b);
  }

  rank(_ds: WindowDataset, windows: readonly number[]): number[][] {
    if (this.order === null) throw new EadroError('The culprit prior is used before it is fitted.', { field: 'culprit-prior', expected: 'fit() on the training windows first' });
    return windows.map(() => [...this.order!]);
  }

  fitted(): Record<string, unknown> {
    const counts = this.counts ?? [];
    const faulty = counts.reduce((a, b) => a + b, 0);
    return { faultyTrainingWindows: faulty, culpritCounts: counts, topShare: faulty > 0 ? Math.max(...counts) / faulty : null };
  }
}
