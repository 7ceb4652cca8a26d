/**
 * MS-RF-AD / MS-RF-RCL (paper §V-B2; `../shared/specs/baselines.md` §3.4): a random forest of 100 trees
 * with √d features per split (classifiers/random-forest.ts) on the window summaries of the early-fused
 * multi-source series (ms-classifier.ts). The paper gives no other setting: the leaf size is chosen on
 * the selection windows among `msRfDefaults.minSamplesLeafCandidates`, the rest are sklearn's defaults.
 */
import { RandomForest } from './classifiers/random-forest.js';
import { MsClassifier } from './ms-classifier.js';

export const msRfDefaults = {
  /** ours: sklearn's default leaf size 1 first (the default, kept on ties), and a smoother forest. */
  minSamplesLeafCandidates: [1, 5] as readonly number[],
  /** baselines.md §3.4 "RF: 100 trees, √d features". */
  trees: 100,
  maxFeatures: 'sqrt' as const,
  /** baselines.md §3.4: class-balanced weights optional; off (sklearn's default), recorded in the fit. */
  classWeight: null as 'balanced' | null,
};

/** MS-RF: one object, both the -AD detector and the -RCL localizer. */
export function createMsRf(): MsClassifier<number> {
  return new MsClassifier<number>({
    name: 'MS-RF',
    candidates: msRfDefaults.minSamplesLeafCandidates,
    make: (minSamplesLeaf, seed) => new RandomForest({ trees: msRfDefaults.trees, maxFeatures: msRfDefaults.maxFeatures, classWeight: msRfDefaults.classWeight, minSamplesLeaf, seed }),
  });
}
