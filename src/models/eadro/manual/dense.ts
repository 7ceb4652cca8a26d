/**
 * Fully-connected layer y = x W + b (log FC, fusion FC, the no-graph FC, the detector and localizer
 * MLPs), forward and backward on host arrays: dW = x^T dy, db = column sums of dy (float64),
 * dx = dy W^T (only when the input needs a gradient).
 */
import type * as tf from '@tensorflow/tfjs';
import { columnSums, hostMatrix, hostValues, matMul, transposeMatrix, weightGradient, type HostMatrix, type Workspace } from './host.js';

export interface DenseGradients {
  /** [in, out] */
  weight: Float32Array;
  /** [out] */
  bias: Float32Array;
  /** [rows, in], when asked for. */
  dx?: Float32Array;
}

/** x [rows, in] (host, or a batch tensor), weight [in, out] tensor, bias [out] host copy. */
export function denseForward(x: HostMatrix | tf.Tensor2D, weight: tf.Tensor2D, bias: Float32Array, ws: Workspace, key: string): HostMatrix {
  const rows = 'rows' in x ? x.rows : x.shape[0];
  return matMul(x, weight, bias, ws.take(`${key}/y`, rows * weight.shape[1]));
}

export function denseBackward(x: HostMatrix | tf.Tensor2D, weight: tf.Tensor2D, dy: HostMatrix, needInputGradient: boolean, ws: Workspace, key: string): DenseGradients {
  const [inDim, outDim] = weight.shape;
  const grads: DenseGradients = {
    weight: weightGradient(x, dy).data,
    bias: Float32Array.from(columnSums(dy.data, dy.rows, dy.cols)),
  };
  if (needInputGradient) {
    grads.dx = matMul(dy, transposeMatrix(hostMatrix(hostValues(weight), inDim, outDim)), undefined, ws.take(`${key}/dx`, dy.rows * inDim)).data;
  }
  return grads;
}

/** In-place ReLU; returns its argument. */
export function reluInPlace(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) if (x[i]! < 0) x[i] = 0;
  return x;
}

/** dy * [y > 0] in place on dy (y is the ReLU's output). */
export function reluBackwardInPlace(dy: Float32Array, y: Float32Array): Float32Array {
  for (let i = 0; i < dy.length; i++) if (!(y[i]! > 0)) dy[i] = 0;
  return dy;
}
