/**
 * One data-parallel training step as every replica runs it (trainer.ts on the main thread, worker.ts in
 * each worker): its contiguous part of the batch through the hand-written step with cross-replica sums
 * (../manual/network.ts manualGradients with a reducer), then the identical Adam update and BatchNorm
 * running-statistics update that the single-process step makes (../step.ts applyStep). Every replica
 * gets the same summed gradients, so every replica's weights stay bit-identical.
 */
import type { WindowDataset } from '../../../windows/types.js';
import type { Adam } from '../adam.js';
import { disposeBatch, makeBatch } from '../data.js';
import type { EadroModel } from '../model.js';
import { applyStep, manualGradients, type StepLosses } from '../step.js';
import type { ReplicaReducer } from './reducer.js';

/**
 * Replica `replica`'s windows of a batch of `ids`: contiguous parts, the first ones one window longer
 * when the batch does not divide evenly. A batch with fewer windows than replicas (the last, short
 * batch of an epoch) is computed whole by every replica, without sums: the same computation on the
 * same weights, so the replicas still agree, and no replica has an empty part.
 */
export function replicaPart(ids: readonly number[], replicas: number, replica: number): { ids: readonly number[]; whole: boolean } {
  if (ids.length < replicas) return { ids, whole: true };
  const base = Math.floor(ids.length / replicas);
  const extra = ids.length % replicas;
  const start = replica * base + Math.min(replica, extra);
  const length = base + (replica < extra ? 1 : 0);
  return { ids: ids.slice(start, start + length), whole: false };
}

/** Run one step of batch `ids` on this replica; returns the whole batch's losses (same on every replica). */
export function replicaStep(
  model: EadroModel,
  adam: Adam,
  ds: WindowDataset,
  ids: readonly number[],
  reducer: ReplicaReducer,
  replicas: number,
  replica: number,
): StepLosses {
  const part = replicaPart(ids, replicas, replica);
  const batch = makeBatch(ds, part.ids, model.config);
  try {
    const result = manualGradients(model, batch, part.whole ? undefined : reducer);
    applyStep(model, adam, result);
    return result.losses;
  } finally {
    disposeBatch(batch);
  }
}
