/**
 * A baseline (src/baselines/contract.ts) as a method of the harness: fitted on the split's training
 * windows, its settings chosen on the split's selection windows (validation, or test only when the
 * protocol selects on test: the reference protocol's leak, kept to reproduce it), then run once on the
 * test windows. A localizer-only baseline flags every test window (read its oracle-detection
 * localization metrics, the paper's RQ2 setting); a detector-only one gives no ranking.
 */
import type { WindowDetector, WindowLocalizer } from '../../baselines/contract.js';
import type { Method } from '../method.js';

export interface BaselineParts {
  detector?: WindowDetector;
  localizer?: WindowLocalizer;
}

export function baselineMethod(name: string, description: string, make: (params: Record<string, unknown>) => BaselineParts): Method {
  return {
    name,
    description,
    fitAndEvaluate: async (ds, split, ctx) => {
      const { detector, localizer } = make(ctx.method.params ?? {});
      if (detector === undefined && localizer === undefined) throw new Error(`${name}: neither a detector nor a localizer`);
      const select = split.modelSelection === 'test' ? split.test : split.val;
      const input = { ds, train: split.train, select, seed: ctx.seed };
      detector?.fit(input);
      if (localizer !== undefined && localizer !== (detector as unknown)) localizer.fit(input);
      const t0 = process.hrtime.bigint();
      const detected = detector?.detect(ds, split.test);
      const ranking = localizer?.rank(ds, split.test) ?? null;
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      return {
        windows: [...split.test],
        anomalyScore: detected?.score ?? null,
        predictedAnomalous: detected?.flagged ?? split.test.map(() => true),
        ranking,
        inferUsPerWindow: split.test.length > 0 ? us / split.test.length : null,
        info: {
          selectedOn: split.modelSelection === 'test' ? 'test' : 'validation',
          ...(detector === undefined ? { detector: 'none: every window flagged' } : { detector: detector.fitted() }),
          ...(localizer === undefined ? {} : { localizer: localizer.fitted() }),
        },
      };
    },
  };
}
