/**
 * MS-LSTM and MS-DCC (paper §V-B2, `../shared/specs/baselines.md` §3.4): the paper's derived deep
 * multi-source baselines. Every source becomes per-second series (src/windows/multi-source.ts), the
 * channels of a service are fused early, one encoder per window and service (an LSTM, or one dilated
 * causal convolution layer as Eadro's) turns its [T, C] series into an embedding, the N embeddings are
 * concatenated (no graph) and go into Eadro's detector and localizer heads, trained with Eadro's joint
 * loss β·L_det + (1 − β)·L_loc (paper §IV-C). The paper says nothing more: every other choice is ours
 * and marked so.
 */
import { EadroError } from '../../core/errors.js';

export type MsEncoder = 'lstm' | 'dcc';

export interface MsConfig {
  encoder: MsEncoder;
  /** Embedding size per service: LSTM hidden units, or conv filters. */
  hidden: number;
  /** DCC only: kernel size and dilation of the single causal conv layer. */
  kernelSize: number;
  dilation: number;
  /** How the encoder's T outputs become one embedding: the last step, or their mean. */
  pooling: 'last' | 'mean';
  batchNormEpsilon: number;
  batchNormMomentum: number;
  detectHidden: number;
  locateHidden: number;
  /** Loss weight β of detection. */
  beta: number;
  /** Which windows the localizer loss sees: those the detector flags (paper) or the true faulty ones. */
  locateMask: 'predicted' | 'ground-truth';
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  /** Epochs without a better validation selection score before stopping. */
  patience: number;
}

/** Defaults, each with its source. The encoder-specific ones are in `msEncoderDefaults`. */
export const msDefaults = {
  hidden: 64, // baselines.md §3.4 "LSTM(64)", "one DCC layer (64 filters ...)"; paper §V-C filter number 64
  kernelSize: 3, // baselines.md §3.4 "kernel 3", as Eadro's paper variant (§V-C)
  dilation: 1, // Eadro's single DCC layer (reference model.py: dilation ** 0)
  batchNormEpsilon: 1e-5, // PyTorch BatchNorm1d default, as Eadro
  batchNormMomentum: 0.1, // PyTorch BatchNorm1d default, as Eadro
  detectHidden: 64, // Eadro's heads: paper §V-C "hidden size of all fully-connected layers is 64"
  locateHidden: 64, // idem
  beta: 0.5, // baselines.md §3.4 β = 0.5 (Eadro's reference main.py alpha)
  locateMask: 'predicted' as const, // Eadro paper variant (§IV-C): the localizer learns from flagged windows
  learningRate: 1e-3, // Eadro paper §V-C
  batchSize: 256, // Eadro paper §V-C (the quick main job passes a smaller one)
  maxEpochs: 50, // Eadro paper §V-C
  patience: 10, // Eadro's reference main.py patience, applied to validation
};

export const msEncoderDefaults: Record<MsEncoder, { pooling: 'last' | 'mean' }> = {
  lstm: { pooling: 'last' }, // baselines.md §3.4 "LSTM(64) last hidden state"
  // ours: the mean over the window's steps. One kernel-3 layer's last step sees only the last 3 of the
  // T = 10 seconds, so 'last' would ignore most of the window; baselines.md §3.4 allows mean or last.
  dcc: { pooling: 'mean' },
};

/** The full config of an encoder with `partial` applied; unknown or bad values are refused by name. */
export function resolveMsConfig(encoder: MsEncoder, partial: Record<string, unknown> = {}): MsConfig {
  const known = new Set([...Object.keys(msDefaults), 'pooling']);
  for (const key of Object.keys(partial)) {
    if (!known.has(key)) throw new EadroError(`Unknown MS-${encoder.toUpperCase()} parameter.`, { field: `method.params.${key}`, expected: [...known].sort().join(' | ') });
  }
  const config: MsConfig = { encoder, ...msDefaults, ...msEncoderDefaults[encoder], ...(partial as Partial<MsConfig>) };
  for (const key of ['hidden', 'kernelSize', 'dilation', 'detectHidden', 'locateHidden', 'batchSize', 'maxEpochs', 'patience'] as const) {
    const v = config[key];
    if (!(Number.isInteger(v) && v >= 1)) throw new EadroError(`MS-${encoder.toUpperCase()}: bad ${key}.`, { field: `method.params.${key}`, expected: 'a positive integer', found: String(v) });
  }
  if (!(config.beta >= 0 && config.beta <= 1)) throw new EadroError('Bad beta.', { field: 'method.params.beta', expected: 'a number in [0, 1]', found: String(config.beta) });
  if (!(config.learningRate > 0)) throw new EadroError('Bad learning rate.', { field: 'method.params.learningRate', expected: 'a positive number', found: String(config.learningRate) });
  if (config.pooling !== 'last' && config.pooling !== 'mean') throw new EadroError('Bad pooling.', { field: 'method.params.pooling', expected: 'last | mean', found: String(config.pooling) });
  if (config.locateMask !== 'predicted' && config.locateMask !== 'ground-truth') throw new EadroError('Bad locateMask.', { field: 'method.params.locateMask', expected: 'predicted | ground-truth', found: String(config.locateMask) });
  return config;
}
