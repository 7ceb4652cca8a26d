/**
 * MS-SVM-AD / MS-SVM-RCL (paper §V-B2; `../shared/specs/baselines.md` §3.4): an RBF support vector
 * classifier with γ = scale and probability estimates as libsvm's `-b 1` (classifiers/svm.ts) on the
 * window summaries of the early-fused multi-source series (ms-classifier.ts). The spec's C = 1 is the
 * default; C is chosen on the selection windows among `msSvmDefaults.cCandidates`.
 */
import { RbfSvm } from './classifiers/svm.js';
import { MsClassifier } from './ms-classifier.js';

export const msSvmDefaults = {
  /** baselines.md §3.4 C = 1 first (the default, kept on ties); ours: a decade either side. */
  cCandidates: [1, 0.1, 10] as readonly number[],
  /** baselines.md §3.4 "γ = scale". */
  gamma: 'scale' as const,
  /** baselines.md §3.4: class-balanced weights optional; off (libsvm's and sklearn's default), recorded in the fit. */
  classWeight: null as 'balanced' | null,
};

/** MS-SVM: one object, both the -AD detector and the -RCL localizer. */
export function createMsSvm(): MsClassifier<number> {
  return new MsClassifier<number>({
    name: 'MS-SVM',
    candidates: msSvmDefaults.cCandidates,
    make: (C, seed) => new RbfSvm({ C, gamma: msSvmDefaults.gamma, classWeight: msSvmDefaults.classWeight, probability: true, seed }),
  });
}
