/**
 * The T x T algebra of one row of the softmax-QKV attention, shared by its JavaScript and its
 * WebAssembly SIMD implementations (time-attention.ts, simd/rows-simd.ts), which differ only in how
 * they compute the products around it. Float64 throughout; T is small (10).
 */

/**
 * Softmax of the scores of one row and the mean of its attention over t: S [T, T] holds S_tu (scaled
 * by `scale` here) and is overwritten; A_t = softmax_u(scale S_t) goes to attn[a0 + t*T + u] when attn
 * is given; abar_u = mean_t A_tu into abar [T].
 */
export function softmaxMeanOfRow(S: Float64Array, T: number, scale: number, attn: Float32Array | null, a0: number, abar: Float64Array): void {
  abar.fill(0);
  for (let t = 0; t < T; t++) {
    const o = t * T;
    let max = -Infinity;
    for (let u = 0; u < T; u++) {
      const v = S[o + u]! * scale;
      S[o + u] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let u = 0; u < T; u++) {
      const e = Math.exp(S[o + u]! - max);
      S[o + u] = e;
      sum += e;
    }
    for (let u = 0; u < T; u++) {
      const a = S[o + u]! / sum;
      if (attn !== null) attn[a0 + o + u] = a;
      abar[u]! += a;
    }
  }
  for (let u = 0; u < T; u++) abar[u] = abar[u]! / T;
}

/**
 * The backward through the softmax of one row: from A (attn[a0 ..], [T, T]) and dabar [T],
 * dS_tu = scale A_tu (dabar_u - sum_w A_tw dabar_w) / T into ds [T, T], and abar_u = mean_t A_tu into
 * abar [T].
 */
export function softmaxGradientOfRow(attn: Float32Array, a0: number, dabar: Float64Array, T: number, scale: number, ds: Float64Array, abar: Float64Array): void {
  abar.fill(0);
  for (let t = 0; t < T; t++) for (let u = 0; u < T; u++) abar[u]! += attn[a0 + t * T + u]!;
  for (let u = 0; u < T; u++) abar[u] = abar[u]! / T;
  for (let t = 0; t < T; t++) {
    let rho = 0;
    for (let w = 0; w < T; w++) rho += attn[a0 + t * T + w]! * dabar[w]!;
    for (let u = 0; u < T; u++) ds[t * T + u] = (attn[a0 + t * T + u]! * (dabar[u]! - rho) * scale) / T;
  }
}
