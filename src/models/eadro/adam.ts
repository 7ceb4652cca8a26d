/**
 * Adam in PyTorch's form (bias-corrected moments; eps added to sqrt(v_hat)), written out instead of
 * tf.train.adam so that its state is ours: it is saved in checkpoints and restored exactly on resume,
 * and the fast training path can feed it gradients it computed itself.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export class Adam {
  /** Steps taken (t in the bias corrections). */
  step = 0;
  readonly m = new Map<string, tf.Tensor>();
  readonly v = new Map<string, tf.Tensor>();

  constructor(readonly opts: AdamOptions) {}

  /** Update each variable by its gradient. Gradients are not disposed here. */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor> | Record<string, tf.Tensor>): void {
    this.step++;
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon } = this.opts;
    const c1 = 1 - Math.pow(b1, this.step);
    const c2 = 1 - Math.pow(b2, this.step);
    for (const [name, variable] of params) {
      const g = grads instanceof Map ? grads.get(name) : grads[name];
      if (g === undefined) throw new Error(`Adam: no gradient for ${name}`);
      const mOld = this.m.get(name);
      const vOld = this.v.get(name);
      const [m, v] = tf.tidy(() => {
        const m1 = mOld === undefined ? tf.mul(g, 1 - b1) : tf.add(tf.mul(mOld, b1), tf.mul(g, 1 - b1));
        const v1 = vOld === undefined ? tf.mul(tf.square(g), 1 - b2) : tf.add(tf.mul(vOld, b2), tf.mul(tf.square(g), 1 - b2));
        const update = tf.div(tf.mul(m1, lr / c1), tf.add(tf.sqrt(tf.div(v1, c2)), epsilon));
        variable.assign(tf.sub(variable, update));
        return [m1, v1];
      });
      mOld?.dispose();
      vOld?.dispose();
      this.m.set(name, m);
      this.v.set(name, v);
    }
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
