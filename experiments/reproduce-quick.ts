/**
 * The main job (`eadro reproduce --quick`) as a grid file, to run part of it (`--only`), see what is
 * left (`--dry-run`, `eadro grid status`) or spread it over a cluster (`--emit slurm`); the full form
 * is experiments/reproduce-full.ts. Same runs, same config hashes as `eadro reproduce --quick`
 * (`reproduceExperiment('quick')`, src/experiments/reproduce.ts), so the two share a store:
 *   eadro grid experiments/reproduce-quick.ts --out results/reproduce-quick/runs-store --only method=eadro,system=sn
 * and `eadro reproduce --quick` afterwards skips what is finished and writes the report.
 */
import { reproduceExperiment } from '../src/experiments/reproduce.js';

export const experiment = reproduceExperiment('quick');
