/**
 * Eadro in tfjs: public entry points.
 * - config: `eadroDefaults`, `resolveEadroConfig`, types `EadroConfig`, `EadroVariant`, `Ablation`
 * - model: `createEadro(config, dims, seed)`, `forwardEadro`, `disposeEadro`, `parameterCount`
 * - training: `trainEadro(ds, split, config, { seed, checkpointDir?, onEpoch? })`
 * - inference: `predict(model, ds, indices)` -> anomalyProb, culpritProb, ranking, fused
 * - checkpoints: `saveCheckpoint`, `loadCheckpoint`
 * - steps: hand-written forward/backward (`manual/`, the default wherever `supportsManualStep`) or tfjs
 *   autodiff (`EADRO_STEP=autodiff` or `TrainOptions.step`); `chooseStep` says which one runs
 * - speed: `installFastWasmKernels` / `uninstallFastWasmKernels` (trainEadro and predict install them on
 *   wasm unless they were uninstalled on purpose)
 */
export { eadroDefaults, resolveEadroConfig, type EadroConfig, type EadroVariant, type Ablation, type Modality, type SelfLoops } from './config.js';
export { createEadro, disposeEadro, forwardEadro, parameterCount, type EadroModel, type EadroDims, type EadroBatch, type EadroOutputs } from './model.js';
export { trainEadro, type EpochLog, type TrainOptions, type TrainResult } from './train.js';
export { predict, predictAsync, predictDefaults, type Prediction } from './infer.js';
export { saveCheckpoint, loadCheckpoint, type CheckpointMetadata, type LoadedCheckpoint } from './checkpoint.js';
export { installFastWasmKernels, uninstallFastWasmKernels, ensureFastWasmKernels, fastWasmKernelsInstalled } from './wasm-kernels.js';
export { datasetDims, makeBatch, disposeBatch } from './data.js';
export { chooseStep, supportsManualStep, manualGradients, autodiffGradients, trainStepAsync, type StepKind, type StepLosses, type GradientResult } from './step.js';
export { ParallelTrainer, resolveTrainThreads } from './parallel/trainer.js';
