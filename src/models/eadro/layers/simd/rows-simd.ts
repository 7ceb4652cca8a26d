/**
 * The softmax-QKV attention's per-row work (../time-attention.ts softmaxMeanRows and
 * attentionBackwardRows) with its products in WebAssembly SIMD (rows.wat): the T x T scores and the
 * weighted sums of rows, four float32 lanes at a time. The softmax and the T x T gradient algebra stay
 * in JavaScript (float64; WebAssembly has no exp). Same contracts as the JavaScript functions, equal up
 * to float32 rounding (tested): the products sum in float32 here, in float64 there.
 *
 * The module has its own memory (module.ts): inputs are copied in and results out (TypedArray.set, a
 * memcpy; at N = 27, batch 256, about 70 MB per backward call, small against the products).
 */
import { wasmBase64 } from './rows-wasm.js';
import { lazyInstance, put, regions, runsFor, view, type SimdExports } from './module.js';
import type { AttentionBackwardRows } from '../time-attention.js';
import { softmaxGradientOfRow, softmaxMeanOfRow } from '../attention-row.js';

interface RowsExports extends SimdExports {
  /** out[r, i, j] = sum_c a[r, i, c] b[r, j, c]; byte offsets; C % 4 == 0. */
  scores(a: number, b: number, out: number, R: number, Ta: number, Tb: number, C: number): void;
  /** out[r, t, :] (+)= sum_u w[r, t, u] m[r, u, :]; byte offsets; C % 4 == 0. */
  mix(w: number, m: number, out: number, R: number, To: number, Tu: number, C: number, accumulate: number): void;
  /** abar[r, u] = mean_t softmax_u(scale S[r, t, u]); R a multiple of 4; scratch of 2T vectors. */
  softmaxMean(S: number, abar: number, R: number, T: number, scale: number, scratch: number): void;
  /** out[i, j] += sum_r x[r, i] y[r, j]; Cx, Cy multiples of 4. */
  transposeProduct(x: number, y: number, out: number, R: number, Cx: number, Cy: number): void;
}

const load = lazyInstance<RowsExports>(wasmBase64);

/** Whether the SIMD rows can run for vector rows of C values (this runtime has WebAssembly SIMD, C % 4 == 0). */
export function simdRowsAvailable(C: number): boolean {
  return runsFor(C, load);
}

/** Float32 regions of the given lengths (module.ts regions). */
function floatRegions(k: RowsExports, lengths: readonly number[]): number[] {
  return regions(k, lengths.map((n) => n * 4), 'SIMD attention rows');
}

function requireKernels(C: number): RowsExports {
  if (!simdRowsAvailable(C)) throw new Error(`SIMD attention rows: unavailable for C = ${C} (needs WebAssembly SIMD and C a multiple of 4)`);
  return load()!;
}

/**
 * As time-attention.ts softmaxMeanRows: per row r, S_tu = scale Y_t . X_u, A_t = softmax_u(S_t),
 * abar_u = mean_t A_tu, xbar = sum_u abar_u X_u; y, x [R, T, C]; writes xbar [R, C] and, when given,
 * A [R, T, T] into `attn`.
 */
export function simdSoftmaxMeanRows(y: Float32Array, x: Float32Array, R: number, T: number, C: number, scale: number, xbar: Float32Array, attn: Float32Array | null): void {
  const k = requireKernels(C);
  const padded = Math.ceil(R / 4) * 4; // softmaxMean takes rows four at a time
  const [yP, xP, sP, abarP, xbarP, scratchP] = floatRegions(k, [R * T * C, R * T * C, padded * T * T, padded * T, R * C, 8 * T]);
  put(k, yP, y.subarray(0, R * T * C));
  put(k, xP, x.subarray(0, R * T * C));
  k.scores(yP, xP, sP, R, T, T, C);
  if (attn === null) {
    // inference: the softmax and the mean in SIMD too (rows.wat softmaxMean), no attention kept
    k.softmaxMean(sP, abarP, padded, T, scale, scratchP);
    k.mix(abarP, xP, xbarP, R, 1, T, C, 0);
    xbar.set(view(k, xbarP, R * C));
    return;
  }
  const S = view(k, sP, R * T * T);
  const abarOut = view(k, abarP, R * T);
  const row = new Float64Array(T * T);
  const abar = new Float64Array(T);
  for (let r = 0; r < R; r++) {
    for (let i = 0; i < T * T; i++) row[i] = S[r * T * T + i]!;
    softmaxMeanOfRow(row, T, scale, attn, r * T * T, abar);
    for (let u = 0; u < T; u++) abarOut[r * T + u] = abar[u]!;
  }
  k.mix(abarP, xP, xbarP, R, 1, T, C, 0); // xbar_r = abar_r^T X_r
  xbar.set(view(k, xbarP, R * C));
}

/**
 * As time-attention.ts attentionBackwardRows: given A [R, T, T] and dxbar [R, C], dX (through xbar and
 * through S's X_u factor) and dY, both [R, T, C]:
 *   dabar_u = dxbar . X_u;  dS_tu = A_tu (dabar_u - sum_w A_tw dabar_w) / T;
 *   dY_t = scale sum_u dS_tu X_u;  dX_u = abar_u dxbar + scale sum_t dS_tu Y_t.
 * dx and dy are views of this module's memory, valid until the next call of a function here: copy
 * what must be kept. (Copying them out measured 120 ms per call at N = 27, batch 256: two fresh
 * 17.7 MB arrays, against 13 ms for the products.)
 */
export function simdAttentionBackwardRows(...[y, x, attn, dxbar, R, T, C, scale]: Parameters<AttentionBackwardRows>): ReturnType<AttentionBackwardRows> {
  const k = requireKernels(C);
  const RTC = R * T * C;
  const [xP, yP, gP, dabarP, dsP, dsTP, wP, dyP, dxP] = floatRegions(k, [RTC, RTC, R * C, R * T, R * T * T, R * T * T, R * T, RTC, RTC]);
  put(k, xP, x.subarray(0, RTC));
  put(k, yP, y.subarray(0, RTC));
  put(k, gP, dxbar.subarray(0, R * C));
  k.scores(gP, xP, dabarP, R, 1, T, C); // dabar [R, 1, T]
  const dabar = view(k, dabarP, R * T);
  const ds = view(k, dsP, R * T * T);
  const dsT = view(k, dsTP, R * T * T);
  const w = view(k, wP, R * T); // abar_u (the mean of A's column u) as the weight of dxbar in dX_u
  const dabarRow = new Float64Array(T);
  const dsRow = new Float64Array(T * T);
  const abar = new Float64Array(T);
  for (let r = 0; r < R; r++) {
    const a0 = r * T * T;
    for (let u = 0; u < T; u++) dabarRow[u] = dabar[r * T + u]!;
    softmaxGradientOfRow(attn, a0, dabarRow, T, scale, dsRow, abar);
    for (let u = 0; u < T; u++) w[r * T + u] = abar[u]!;
    for (let t = 0; t < T; t++) {
      for (let u = 0; u < T; u++) {
        ds[a0 + t * T + u] = dsRow[t * T + u]!;
        dsT[a0 + u * T + t] = dsRow[t * T + u]!;
      }
    }
  }
  k.mix(dsP, xP, dyP, R, T, T, C, 0); // dY_t = sum_u dS_tu X_u
  k.mix(dsTP, yP, dxP, R, T, T, C, 0); // dX_u = sum_t dS_tu Y_t ...
  k.mix(wP, gP, dxP, R, T, 1, C, 1); // ... + abar_u dxbar
  return { dx: view(k, dxP, RTC), dy: view(k, dyP, RTC) };
}

/**
 * X^T Y [Cx, Cy] for long X [R, Cx] and Y [R, Cy] (rows.wat transposeProduct: rows in cache-sized
 * chunks, float32 sums), a fresh array. An input that is already a view of this module's memory (the
 * dy that simdAttentionBackwardRows returns) is read where it lies; the others are copied in past it.
 * Cx and Cy must be multiples of 4 (simdRowsAvailable for each).
 */
export function simdTransposeProduct(x: Float32Array, y: Float32Array, R: number, Cx: number, Cy: number): Float32Array {
  const k = requireKernels(Cx);
  if (!simdRowsAvailable(Cy)) throw new Error(`SIMD transpose product: unavailable for Cy = ${Cy} (needs a multiple of 4)`);
  // where each input already lies in the module's memory (-1: not there), read before `regions`, whose
  // growing the memory detaches such views (the bytes stay where they were)
  const at = (a: Float32Array): number => (a.buffer === k.memory.buffer ? a.byteOffset : -1);
  const xIn = at(x);
  const yIn = at(y);
  const start = Math.max(xIn < 0 ? 0 : xIn + R * Cx * 4, yIn < 0 ? 0 : yIn + R * Cy * 4);
  const [xP, yP, outP] = regions(k, [xIn < 0 ? R * Cx * 4 : 0, yIn < 0 ? R * Cy * 4 : 0, Cx * Cy * 4], 'SIMD transpose product', start);
  if (xIn < 0) put(k, xP, x.subarray(0, R * Cx));
  if (yIn < 0) put(k, yP, y.subarray(0, R * Cy));
  const xAt = xIn < 0 ? xP : xIn;
  const yAt = yIn < 0 ? yP : yIn;
  view(k, outP, Cx * Cy).fill(0);
  k.transposeProduct(xAt, yAt, outP, R, Cx, Cy);
  return view(k, outP, Cx * Cy).slice();
}
