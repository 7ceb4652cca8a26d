/**
 * The full `eadro reproduce` as a grid file, so that it can run on a cluster (issue 24): the paper
 * profile, 5 seeds, the paper's and authors' budgets, every method and ablation under both protocols
 * (src/experiments/reproduce.ts, `reproduceExperiment('full')`).
 *   eadro grid experiments/reproduce-full.ts --out results/reproduce-full/runs-store --dry-run      # cost per backend
 *   eadro grid experiments/reproduce-full.ts --out results/reproduce-full/runs-store --emit slurm   # job arrays
 * When every run is finished, `eadro reproduce` (same --out: results/reproduce-full) only writes the
 * tables, the report and the figures: its grid finds every run done.
 */
import { reproduceExperiment } from '../src/experiments/reproduce.js';

export const experiment = reproduceExperiment('full');
