/**
 * Where worker processes find methods and datasets by name. A method is registered here with a lazy
 * import, so a worker loads only what its run needs (and a method whose code has not landed costs
 * nothing until asked for). Tests and studies add methods and generators through extension modules
 * (`HarnessExtension`), whose paths the runner passes to every worker.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EadroError } from '../core/errors.js';
import type { WindowDataset } from '../windows/types.js';
import type { DatasetSpec } from './config.js';
import type { DatasetGenerator, HarnessExtension, Method } from './method.js';

/** Built-in methods by registry name. Eadro and the baselines are added here as they land. */
export const builtinMethods: Record<string, () => Promise<Method>> = {
  'all-anomalous': async () => (await import('./methods/trivial.js')).allAnomalousMethod,
  'random-guess': async () => (await import('./methods/trivial.js')).randomGuessMethod,
  eadro: async () => (await import('./methods/eadro.js')).eadroMethod,
  // ours (issue 26): the culprit-frequency prior, the floor a localizer must pass beside random ranking
  'culprit-prior': async () => {
    const [{ baselineMethod }, { CulpritPrior }] = await Promise.all([import('./methods/baseline.js'), import('../baselines/localizers/culprit-prior.js')]);
    return baselineMethod('culprit-prior', 'ranks services by how often each was the culprit of the training faulty windows (no telemetry); given the true anomaly existence', () => ({ localizer: new CulpritPrior() }));
  },
  'n-sigma': async () => {
    const [{ baselineMethod }, { NSigma }] = await Promise.all([import('./methods/baseline.js'), import('../baselines/n-sigma.js')]);
    return baselineMethod('n-sigma', 'N-sigma on per-service maximum latency (paper §III-B); ranks services by that z-score', () => {
      const model = new NSigma();
      return { detector: model, localizer: model };
    });
  },
  spot: async () => {
    const [{ baselineMethod }, { SpotDetector, spotOptionsFromParams }] = await Promise.all([import('./methods/baseline.js'), import('../baselines/spot.js')]);
    return baselineMethod('spot', 'SPOT (extreme value theory) per service on latency (paper §III-B); detector only', (params) => ({ detector: new SpotDetector(spotOptionsFromParams(params)) }));
  },
  // 'fe-ml' (not 'fe-ocsvm'): the name fills paper Table I's "FE+ML" row (paper-tables.ts paperRowOf)
  'fe-ml': async () => {
    const [{ baselineMethod }, { OcsvmDetector }] = await Promise.all([import('./methods/baseline.js'), import('../baselines/fe-ocsvm.js')]);
    return baselineMethod('fe-ml', 'FE+ML: per-service latency features into a one-class SVM (paper §III-B, Table I); detector only', () => ({ detector: new OcsvmDetector() }));
  },
  'ms-rf': async () => {
    const [{ baselineMethod }, { createMsRf }] = await Promise.all([import('./methods/baseline.js'), import('../baselines/ms-rf.js')]);
    return baselineMethod('ms-rf', 'MS-RF-AD / MS-RF-RCL (paper §V-B2): random forests on per-channel summaries of KPI, log-count and latency series; detector and localizer', () => {
      const model = createMsRf();
      return { detector: model, localizer: model };
    });
  },
  'ms-svm': async () => {
    const [{ baselineMethod }, { createMsSvm }] = await Promise.all([import('./methods/baseline.js'), import('../baselines/ms-svm.js')]);
    return baselineMethod('ms-svm', 'MS-SVM-AD / MS-SVM-RCL (paper §V-B2): RBF SVMs with probability estimates on per-channel summaries of KPI, log-count and latency series; detector and localizer', () => {
      const model = createMsSvm();
      return { detector: model, localizer: model };
    });
  },
  // paper Table III's trace-based localizers (baselines.md §3.2), given the true anomaly existence unless params.detection says otherwise
  tbac: async () => {
    const [{ traceLocalizerMethod }, { seriesLocalizerFromParams }, { tbacRank, tbacDefaults }] = await Promise.all([import('./methods/trace-localizer.js'), import('../baselines/localizers/series-localizer.js'), import('../baselines/localizers/tbac.js')]);
    return traceLocalizerMethod('tbac', 'TBAC (Marwede et al. 2009; paper Table III): correlation with the frontend, propagated along the mined call graph; localizer, given the true anomaly existence', (params) =>
      seriesLocalizerFromParams('TBAC', params, tbacDefaults, (input, options) => tbacRank(input, options)),
    );
  },
  netmedic: async () => {
    const [{ traceLocalizerMethod }, { seriesLocalizerFromParams }, { netmedicRank, netmedicDefaults }] = await Promise.all([import('./methods/trace-localizer.js'), import('../baselines/localizers/series-localizer.js'), import('../baselines/localizers/netmedic.js')]);
    return traceLocalizerMethod('netmedic', 'NetMedic (Kandula et al. 2009; paper Table III): abnormality against history, edge weights from co-occurring states, path impact on the frontend; localizer, given the true anomaly existence', (params) =>
      seriesLocalizerFromParams('NetMedic', params, netmedicDefaults, (input, options) => netmedicRank(input, options)),
    );
  },
  'monitor-rank': async () => {
    const [{ traceLocalizerMethod }, { seriesLocalizerFromParams }, { monitorRankRank, monitorRankDefaults }] = await Promise.all([import('./methods/trace-localizer.js'), import('../baselines/localizers/series-localizer.js'), import('../baselines/localizers/monitor-rank.js')]);
    return traceLocalizerMethod('monitor-rank', 'MonitorRank (Kim et al. 2013; paper Table III): seeded random walk on the mined call graph weighted by correlation with the frontend; localizer, given the true anomaly existence', (params) =>
      seriesLocalizerFromParams('MonitorRank', params, monitorRankDefaults, (input, options, seed) => monitorRankRank(input, { ...options, seed })),
    );
  },
  'cloud-ranger': async () => {
    const [{ traceLocalizerMethod }, { seriesLocalizerFromParams }, { cloudRangerRank, cloudRangerDefaults }] = await Promise.all([import('./methods/trace-localizer.js'), import('../baselines/localizers/series-localizer.js'), import('../baselines/localizers/cloud-ranger.js')]);
    return traceLocalizerMethod('cloud-ranger', 'CloudRanger (Wang et al. 2018; paper Table III): PC graph (Fisher z) and a seeded second-order random walk weighted by correlation with the frontend; localizer, given the true anomaly existence', (params) =>
      seriesLocalizerFromParams('CloudRanger', params, cloudRangerDefaults, (input, options, seed) => cloudRangerRank(input, { ...options, seed })),
    );
  },
  // DyCause ranks once per fault case by default (series-localizer.ts 'fault-case' scope), as the reference
  // runs it: 0.1 s per ranking at N = 27, 106 s per TT test split per window (results/bench/localizers.json).
  dycause: async () => {
    const [{ traceLocalizerMethod }, { seriesLocalizerFromParams }, { dycauseRank, dycauseDefaults }] = await Promise.all([import('./methods/trace-localizer.js'), import('../baselines/localizers/series-localizer.js'), import('../baselines/localizers/dycause.js')]);
    return traceLocalizerMethod('dycause', 'DyCause (Pan et al. 2021; paper Table III): Granger tests over segment pairs into a dynamic causal graph, backward path search from the frontend; localizer, given the true anomaly existence, one ranking per fault case', (params) =>
      seriesLocalizerFromParams('DyCause', params, dycauseDefaults, (input, options, seed) => dycauseRank(input, { ...options, seed }), 'fault-case'),
    );
  },
  // paper Table II's trace anomaly detectors (baselines.md §3.3): per-trace models, windows scored by their traces
  'trace-anomaly': async () => (await import('./methods/trace-detector.js')).traceDetectorMethod('trace-anomaly'),
  'multimodal-trace': async () => (await import('./methods/trace-detector.js')).traceDetectorMethod('multimodal-trace'),
  'ms-lstm': async () => (await import('./methods/ms-deep.js')).msDeepMethod('lstm'),
  'ms-dcc': async () => (await import('./methods/ms-deep.js')).msDeepMethod('dcc'),
};

const extensionMethods = new Map<string, Method>();
const extensionGenerators = new Map<string, DatasetGenerator>();
const loadedExtensions = new Set<string>();

/** Import extension modules (absolute or cwd-relative paths) once each and register what they export. */
export async function loadExtensions(modules: readonly string[]): Promise<void> {
  for (const m of modules) {
    const abs = path.resolve(m);
    if (loadedExtensions.has(abs)) continue;
    const mod = (await import(pathToFileURL(abs).href)) as HarnessExtension;
    for (const method of mod.methods ?? []) extensionMethods.set(method.name, method);
    for (const [name, g] of Object.entries(mod.generators ?? {})) extensionGenerators.set(name, g);
    loadedExtensions.add(abs);
  }
}

/** Names of every method known in this process (built-in and loaded extensions). */
export function registeredMethodNames(): string[] {
  return [...new Set([...Object.keys(builtinMethods), ...extensionMethods.keys()])].sort();
}

export async function getMethod(name: string): Promise<Method> {
  const ext = extensionMethods.get(name);
  if (ext !== undefined) return ext;
  const load = builtinMethods[name];
  if (load === undefined) {
    throw new EadroError('Unknown method.', { field: 'method.name', found: name, expected: registeredMethodNames().join(' | ') });
  }
  return load();
}

/** Build the window dataset of a run. */
export async function loadDataset(spec: DatasetSpec, pipeline: Record<string, unknown>): Promise<WindowDataset> {
  switch (spec.kind) {
    case 'generated': {
      const g = extensionGenerators.get(spec.generator);
      if (g === undefined) {
        throw new EadroError('Unknown dataset generator.', { field: 'dataset.generator', found: spec.generator, expected: [...extensionGenerators.keys()].join(' | ') || 'a generator from a loaded extension module' });
      }
      return g(spec.params ?? {}, pipeline);
    }
    case 'testbed': {
      const { ensureTestbed, windowsOf } = await import('./datasets.js');
      const root = await ensureTestbed(spec.system, spec.profile, spec.seed);
      return (await windowsOf(root, pipeline)).dataset;
    }
    case 'raw': {
      const { windowsOf } = await import('./datasets.js');
      return (await windowsOf(spec.path, pipeline)).dataset;
    }
    default:
      throw new EadroError('Unknown dataset kind.', { field: 'dataset.kind', found: String((spec as { kind: unknown }).kind) });
  }
}
