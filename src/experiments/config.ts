/**
 * Typed experiment configs. An experiment file in `experiments/` exports `experiment` (built with
 * `defineExperiment`), listing the values of each axis; the grid is their cross product times the
 * seeds (`grid.ts`). One expanded point without its seed is a `RunSpec`: its hash names the results
 * folder `results/runs/<config-hash>/<seed>/`.
 */
import { EadroError } from '../core/errors.js';
import { protocolNames, type ProtocolSpec } from '../evaluation/protocols.js';

/** Where windows come from. */
export type DatasetSpec =
  /** The built-in testbed simulator: system TT or SN, a size profile, a simulation seed. */
  | { kind: 'testbed'; system: 'TT' | 'SN'; profile: string; seed: number }
  /**
   * A raw dataset folder in the released layout (`../shared/specs/data-formats.md`). `paperData: true`
   * says it is the released Eadro dataset itself, so the tables may put the paper's numbers beside it;
   * otherwise they are marked as the paper's on other data (or left out).
   */
  | { kind: 'raw'; path: string; system: 'TT' | 'SN'; paperData?: boolean }
  /** A generator registered by name (tests and synthetic studies). */
  | { kind: 'generated'; generator: string; system: 'TT' | 'SN'; params?: Record<string, unknown> };

/** Ablations of paper §V-G. */
export type Ablation = 'none' | 'without-logs' | 'without-kpis' | 'without-traces' | 'without-graph';

export const ablations: readonly Ablation[] = ['none', 'without-logs', 'without-kpis', 'without-traces', 'without-graph'];

export interface MethodSpec {
  /** Registry name (`registry.ts`), e.g. 'eadro', 'all-anomalous'. */
  name: string;
  /** Model variant where the method has several (Eadro: 'paper' | 'reference'). */
  variant?: string;
  ablation?: Ablation;
  /** Method-specific hyper-parameters (recorded, hashed). */
  params?: Record<string, unknown>;
  /**
   * Run this method only under these protocols (by name); absent = under every protocol of the
   * experiment. A grid-shaping choice, not part of the run: it is left out of the run's spec and hash.
   */
  onlyProtocols?: string[];
}

/** One point of a grid without its seed. */
export interface RunSpec {
  dataset: DatasetSpec;
  /** Window pipeline options (window length, stride, normalisation ...), passed to the dataset loader. */
  pipeline: Record<string, unknown>;
  method: MethodSpec;
  protocol: ProtocolSpec;
}

export interface ExperimentConfig {
  /** Short name, used in progress lines and reports. */
  name: string;
  description?: string;
  datasets: DatasetSpec[];
  /** One pipeline config for every dataset; empty = the pipeline's defaults. */
  pipeline?: Record<string, unknown>;
  methods: MethodSpec[];
  protocols: ProtocolSpec[];
  seeds: number[];
}

/** Identity function that type-checks an experiment file's export. */
export function defineExperiment(config: ExperimentConfig): ExperimentConfig {
  return config;
}

function fail(file: string, field: string, expected: string, found: unknown): never {
  throw new EadroError('Invalid experiment config.', { file, field, expected, found: JSON.stringify(found)?.slice(0, 120) ?? String(found) });
}

/** Check an experiment loaded from a file; throws naming the file and the field. */
export function validateExperiment(value: unknown, file: string): ExperimentConfig {
  if (value === null || typeof value !== 'object') fail(file, 'experiment', 'an object from defineExperiment({...})', value);
  const e = value as Partial<ExperimentConfig>;
  if (typeof e.name !== 'string' || e.name === '') fail(file, 'name', 'a non-empty string', e.name);
  for (const key of ['datasets', 'methods', 'protocols', 'seeds'] as const) {
    if (!Array.isArray(e[key]) || (e[key] as unknown[]).length === 0) fail(file, key, 'a non-empty array', e[key]);
  }
  (e.seeds as unknown[]).forEach((s, i) => {
    if (!Number.isInteger(s) || (s as number) < 0) fail(file, `seeds[${i}]`, 'a non-negative integer', s);
  });
  (e.datasets as unknown[]).forEach((d, i) => {
    const kind = (d as { kind?: unknown })?.kind;
    if (kind !== 'testbed' && kind !== 'raw' && kind !== 'generated') fail(file, `datasets[${i}].kind`, "'testbed' | 'raw' | 'generated'", kind);
    const system = (d as { system?: unknown }).system;
    if (system !== 'TT' && system !== 'SN') fail(file, `datasets[${i}].system`, "'TT' | 'SN'", system);
    const paperData = (d as { paperData?: unknown }).paperData;
    if (paperData !== undefined && (kind !== 'raw' || typeof paperData !== 'boolean')) fail(file, `datasets[${i}].paperData`, 'true or false, on a raw dataset only', paperData);
  });
  (e.methods as unknown[]).forEach((m, i) => {
    const mm = m as Partial<MethodSpec>;
    if (typeof mm?.name !== 'string' || mm.name === '') fail(file, `methods[${i}].name`, 'a registered method name', mm?.name);
    if (mm.ablation !== undefined && !ablations.includes(mm.ablation)) fail(file, `methods[${i}].ablation`, ablations.join(' | '), mm.ablation);
    if (mm.onlyProtocols !== undefined) {
      const listed = new Set((e.protocols as { name?: unknown }[]).map((p) => p?.name));
      if (!Array.isArray(mm.onlyProtocols) || mm.onlyProtocols.length === 0 || mm.onlyProtocols.some((n) => !listed.has(n))) {
        fail(file, `methods[${i}].onlyProtocols`, `a non-empty list of the experiment's protocol names (${[...listed].join(', ')})`, mm.onlyProtocols);
      }
    }
  });
  (e.protocols as unknown[]).forEach((p, i) => {
    const name = (p as { name?: unknown })?.name;
    if (!protocolNames.includes(name as never)) fail(file, `protocols[${i}].name`, protocolNames.join(' | '), name);
  });
  return e as ExperimentConfig;
}
