/**
 * Named sets of methods shared by the main job (reproduce.ts) and the notebooks' grid
 * (notebook-support.ts). Kept apart from reproduce.ts because notebook support is compiled by tslab to
 * CommonJS, where the grid runner that reproduce.ts imports (runner.ts, `import.meta.resolve`) cannot load.
 */

/** The paper's derived multi-source baselines (§V-B2; Tables II and III), in the paper's row order. */
export const MS_BASELINES = ['ms-rf', 'ms-svm', 'ms-lstm', 'ms-dcc'] as const;

/** The trace-based localizers of Table III (baselines.md §3.2), in the paper's row order. */
export const TRACE_LOCALIZERS = ['tbac', 'netmedic', 'monitor-rank', 'cloud-ranger', 'dycause'] as const;

/** The trace anomaly detectors of Table II (baselines.md §3.3), in the paper's row order. */
export const TRACE_DETECTORS = ['trace-anomaly', 'multimodal-trace'] as const;

/** The methods that train a network (SLURM's `train` class: longer, heavier tasks). */
export const TRAINED_METHODS = ['eadro', 'ms-lstm', 'ms-dcc', ...TRACE_DETECTORS] as const;

/** Our localization floors beside random ranking (issue 26): the culprit-frequency prior. */
export const LOCALIZATION_PRIORS = ['culprit-prior'] as const;

/**
 * The window pipeline of the main job's quick form, shared with the notebooks' `quick` scale (here, not
 * in reproduce.ts, for the reason above). ours: every third window (T = 10 s, so every second still lies
 * in 3-4 windows) keeps the job inside its 15 minutes with five fault types; labels unchanged.
 */
export const QUICK_PIPELINE: Readonly<Record<string, unknown>> = { stride: 3 };
