;; Per-row products of the softmax-QKV time attention (../time-attention.ts), in WebAssembly SIMD.
;; Why: V8 does not vectorise JavaScript loops, and with T = 10 these products are too small for
;; XNNPACK (a batched matMul measured slower than the JavaScript loops). Four float32 lanes per
;; instruction here. Compiled by scripts/build-wasm.ts into rows-wasm.ts (bytes, committed).
;;
;; Every matrix is float32, row-major, addressed by its byte offset in this module's memory, and holds
;; R independent row blocks. Vector rows have C values with C a multiple of 4 (the caller checks).
;; Sums are float32 in four lanes, added across lanes at the end ((v0 + v1) + (v2 + v3)). Written out
;; inline rather than as helper functions: V8 (Node 20) did not inline the calls, which cost 3 % of a
;; paper-variant training step at N = 27.
(module
  (memory (export "memory") 1)

  ;; out[r, i, j] = sum_c a[r, i, c] * b[r, j, c]
  ;; a [R, Ta, C], b [R, Tb, C], out [R, Ta, Tb]. Two j per pass: each a load feeds two products.
  (func (export "scores")
    (param $a i32) (param $b i32) (param $out i32)
    (param $R i32) (param $Ta i32) (param $Tb i32) (param $C i32)
    (local $cb i32)      ;; bytes per vector row
    (local $r i32) (local $i i32) (local $j i32)
    (local $aRow i32)    ;; a[r, i, 0]
    (local $bBlock i32)  ;; b[r, 0, 0]
    (local $b0 i32) (local $b1 i32) (local $pa i32) (local $end i32)
    (local $acc0 v128) (local $acc1 v128) (local $va v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $doneR (loop $loopR
      (br_if $doneR (i32.ge_u (local.get $r) (local.get $R)))
      (local.set $bBlock (i32.add (local.get $b)
        (i32.mul (i32.mul (local.get $r) (local.get $Tb)) (local.get $cb))))
      (local.set $i (i32.const 0))
      (block $doneI (loop $loopI
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $Ta)))
        (local.set $aRow (i32.add (local.get $a)
          (i32.mul (i32.add (i32.mul (local.get $r) (local.get $Ta)) (local.get $i)) (local.get $cb))))
        (local.set $j (i32.const 0))
        ;; pairs of j
        (block $donePairs (loop $loopPairs
          (br_if $donePairs (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $Tb)))
          (local.set $pa (local.get $aRow))
          (local.set $end (i32.add (local.get $aRow) (local.get $cb)))
          (local.set $b0 (i32.add (local.get $bBlock) (i32.mul (local.get $j) (local.get $cb))))
          (local.set $b1 (i32.add (local.get $b0) (local.get $cb)))
          (local.set $acc0 (v128.const i32x4 0 0 0 0))
          (local.set $acc1 (v128.const i32x4 0 0 0 0))
          (block $doneC (loop $loopC
            (br_if $doneC (i32.ge_u (local.get $pa) (local.get $end)))
            (local.set $va (v128.load (local.get $pa)))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $va) (v128.load (local.get $b0)))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $va) (v128.load (local.get $b1)))))
            (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
            (local.set $b0 (i32.add (local.get $b0) (i32.const 16)))
            (local.set $b1 (i32.add (local.get $b1) (i32.const 16)))
            (br $loopC)))
          (f32.store (local.get $out) (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
              (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
          (f32.store offset=4 (local.get $out) (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $acc1)) (f32x4.extract_lane 1 (local.get $acc1)))
              (f32.add (f32x4.extract_lane 2 (local.get $acc1)) (f32x4.extract_lane 3 (local.get $acc1)))))
          (local.set $out (i32.add (local.get $out) (i32.const 8)))
          (local.set $j (i32.add (local.get $j) (i32.const 2)))
          (br $loopPairs)))
        ;; the last j when Tb is odd
        (if (i32.lt_u (local.get $j) (local.get $Tb))
          (then
            (local.set $pa (local.get $aRow))
            (local.set $end (i32.add (local.get $aRow) (local.get $cb)))
            (local.set $b0 (i32.add (local.get $bBlock) (i32.mul (local.get $j) (local.get $cb))))
            (local.set $acc0 (v128.const i32x4 0 0 0 0))
            (block $doneTail (loop $loopTail
              (br_if $doneTail (i32.ge_u (local.get $pa) (local.get $end)))
              (local.set $acc0 (f32x4.add (local.get $acc0)
                (f32x4.mul (v128.load (local.get $pa)) (v128.load (local.get $b0)))))
              (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
              (local.set $b0 (i32.add (local.get $b0) (i32.const 16)))
              (br $loopTail)))
            (f32.store (local.get $out) (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
              (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $loopI)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $loopR))))

  ;; out[r, t, :] = sum_u w[r, t, u] * m[r, u, :], or out[r, t, :] += that when $accumulate is not 0
  ;; w [R, To, Tu], m [R, Tu, C], out [R, To, C]. Four vectors (16 columns) per pass: each weight,
  ;; loaded and splat once, feeds four products; then one vector at a time for the rest of the row.
  (func (export "mix")
    (param $w i32) (param $m i32) (param $out i32)
    (param $R i32) (param $To i32) (param $Tu i32) (param $C i32) (param $accumulate i32)
    (local $cb i32) (local $r i32) (local $t i32) (local $u i32) (local $col i32)
    (local $mBlock i32)  ;; m[r, 0, 0]
    (local $wRow i32)    ;; w[r, t, 0]
    (local $pm i32) (local $pw i32) (local $wEnd i32) (local $ws v128)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $doneR (loop $loopR
      (br_if $doneR (i32.ge_u (local.get $r) (local.get $R)))
      (local.set $mBlock (i32.add (local.get $m)
        (i32.mul (i32.mul (local.get $r) (local.get $Tu)) (local.get $cb))))
      (local.set $t (i32.const 0))
      (block $doneT (loop $loopT
        (br_if $doneT (i32.ge_u (local.get $t) (local.get $To)))
        (local.set $wRow (i32.add (local.get $w)
          (i32.shl (i32.mul (i32.add (i32.mul (local.get $r) (local.get $To)) (local.get $t)) (local.get $Tu))
            (i32.const 2))))
        (local.set $wEnd (i32.add (local.get $wRow) (i32.shl (local.get $Tu) (i32.const 2))))
        (local.set $col (i32.const 0)) ;; byte offset within the row
        ;; blocks of four vectors
        (block $doneWide (loop $loopWide
          (br_if $doneWide (i32.gt_u (i32.add (local.get $col) (i32.const 64)) (local.get $cb)))
          (local.set $acc0 (v128.const i32x4 0 0 0 0))
          (local.set $acc1 (v128.const i32x4 0 0 0 0))
          (local.set $acc2 (v128.const i32x4 0 0 0 0))
          (local.set $acc3 (v128.const i32x4 0 0 0 0))
          (local.set $pw (local.get $wRow))
          (local.set $pm (i32.add (local.get $mBlock) (local.get $col)))
          (block $doneU (loop $loopU
            (br_if $doneU (i32.ge_u (local.get $pw) (local.get $wEnd)))
            (local.set $ws (v128.load32_splat (local.get $pw)))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $ws) (v128.load (local.get $pm)))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $ws) (v128.load offset=16 (local.get $pm)))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $ws) (v128.load offset=32 (local.get $pm)))))
            (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $ws) (v128.load offset=48 (local.get $pm)))))
            (local.set $pw (i32.add (local.get $pw) (i32.const 4)))
            (local.set $pm (i32.add (local.get $pm) (local.get $cb)))
            (br $loopU)))
          (if (local.get $accumulate)
            (then
              (local.set $acc0 (f32x4.add (local.get $acc0) (v128.load (local.get $out))))
              (local.set $acc1 (f32x4.add (local.get $acc1) (v128.load offset=16 (local.get $out))))
              (local.set $acc2 (f32x4.add (local.get $acc2) (v128.load offset=32 (local.get $out))))
              (local.set $acc3 (f32x4.add (local.get $acc3) (v128.load offset=48 (local.get $out))))))
          (v128.store (local.get $out) (local.get $acc0))
          (v128.store offset=16 (local.get $out) (local.get $acc1))
          (v128.store offset=32 (local.get $out) (local.get $acc2))
          (v128.store offset=48 (local.get $out) (local.get $acc3))
          (local.set $out (i32.add (local.get $out) (i32.const 64)))
          (local.set $col (i32.add (local.get $col) (i32.const 64)))
          (br $loopWide)))
        ;; the remaining vectors one at a time
        (block $doneNarrow (loop $loopNarrow
          (br_if $doneNarrow (i32.ge_u (local.get $col) (local.get $cb)))
          (local.set $acc0 (v128.const i32x4 0 0 0 0))
          (local.set $pw (local.get $wRow))
          (local.set $pm (i32.add (local.get $mBlock) (local.get $col)))
          (block $doneU1 (loop $loopU1
            (br_if $doneU1 (i32.ge_u (local.get $pw) (local.get $wEnd)))
            (local.set $acc0 (f32x4.add (local.get $acc0)
              (f32x4.mul (v128.load32_splat (local.get $pw)) (v128.load (local.get $pm)))))
            (local.set $pw (i32.add (local.get $pw) (i32.const 4)))
            (local.set $pm (i32.add (local.get $pm) (local.get $cb)))
            (br $loopU1)))
          (if (local.get $accumulate)
            (then (local.set $acc0 (f32x4.add (local.get $acc0) (v128.load (local.get $out))))))
          (v128.store (local.get $out) (local.get $acc0))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (local.set $col (i32.add (local.get $col) (i32.const 16)))
          (br $loopNarrow)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $loopT)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $loopR))))

  ;; abar[r, u] = mean_t softmax_u(scale S[r, t, u]): the softmax and mean of the forward pass
  ;; without the attention kept (inference; time-attention.ts softmaxMeanRows with attn = null).
  ;; S [R, T, T] (scores), abar [R, T]; four rows r per pass, one per lane, so R must be a multiple of
  ;; 4 (the caller pads; padded lanes compute on whatever is there and are not read). $scratch holds
  ;; 2T vectors: the T terms of one t, then the T running sums over t.
  ;; Why here and not in JavaScript: Math.exp cost ~14 ns per score (4.2 ms of the 7.3 ms of a batch's
  ;; rows at N = 12, batch 256; scratch timing, not kept). exp as Cephes' expf: x = n ln2 + r with
  ;; |r| <= ln2/2, a degree-5 polynomial for e^r (about 1 float32 ulp), 2^n built in the exponent bits;
  ;; inputs (x - max <= 0) are clamped below at -87.3, where e^x < 1.2e-38 (of a sum that is >= 1).
  ;; The sums are float32 here, float64 in JavaScript (same results up to float32 rounding, tested).
  (func (export "softmaxMean")
    (param $S i32) (param $abar i32) (param $R i32) (param $T i32) (param $scale f32) (param $scratch i32)
    (local $r i32) (local $t i32) (local $u i32)
    (local $rowBytes i32)  ;; T*T*4: from S[r, ...] to S[r + 1, ...]
    (local $tb i32)        ;; T*16: bytes of T vectors
    (local $sums i32)      ;; scratch + T*16
    (local $p i32) (local $q i32) (local $end i32)
    (local $v v128) (local $max v128) (local $sum v128) (local $scaleV v128)
    (local $x v128) (local $fx v128) (local $y v128)
    (local.set $rowBytes (i32.shl (i32.mul (local.get $T) (local.get $T)) (i32.const 2)))
    (local.set $tb (i32.shl (local.get $T) (i32.const 4)))
    (local.set $sums (i32.add (local.get $scratch) (local.get $tb)))
    (local.set $scaleV (f32x4.splat (local.get $scale)))
    (local.set $r (i32.const 0))
    (block $doneR (loop $loopR
      (br_if $doneR (i32.ge_u (local.get $r) (local.get $R)))
      ;; zero the running sums
      (local.set $q (local.get $sums))
      (local.set $end (i32.add (local.get $sums) (local.get $tb)))
      (block $doneZ (loop $loopZ
        (br_if $doneZ (i32.ge_u (local.get $q) (local.get $end)))
        (v128.store (local.get $q) (v128.const i32x4 0 0 0 0))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $loopZ)))
      (local.set $t (i32.const 0))
      (block $doneT (loop $loopT
        (br_if $doneT (i32.ge_u (local.get $t) (local.get $T)))
        ;; the scaled scores of rows r..r+3 at t, one vector per u, and their maximum over u
        (local.set $p (i32.add (local.get $S) (i32.shl
          (i32.add (i32.mul (i32.mul (local.get $r) (local.get $T)) (local.get $T)) (i32.mul (local.get $t) (local.get $T)))
          (i32.const 2))))
        (local.set $max (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $q (local.get $scratch))
        (local.set $end (i32.add (local.get $scratch) (local.get $tb)))
        (block $doneU (loop $loopU
          (br_if $doneU (i32.ge_u (local.get $q) (local.get $end)))
          (local.set $v (f32x4.splat (f32.load (local.get $p))))
          (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load (i32.add (local.get $p) (local.get $rowBytes)))))
          (local.set $v (f32x4.replace_lane 2 (local.get $v)
            (f32.load (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1))))))
          (local.set $v (f32x4.replace_lane 3 (local.get $v)
            (f32.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3))))))
          (local.set $v (f32x4.mul (local.get $v) (local.get $scaleV)))
          (v128.store (local.get $q) (local.get $v))
          (local.set $max (f32x4.max (local.get $max) (local.get $v)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br $loopU)))
        ;; e_u = exp(v_u - max), and their sum
        (local.set $sum (v128.const i32x4 0 0 0 0))
        (local.set $q (local.get $scratch))
        (block $doneE (loop $loopE
          (br_if $doneE (i32.ge_u (local.get $q) (local.get $end)))
          (local.set $x (f32x4.max (f32x4.sub (v128.load (local.get $q)) (local.get $max))
            (v128.const f32x4 -87.3 -87.3 -87.3 -87.3)))
          (local.set $fx (f32x4.floor (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
            (v128.const f32x4 0.5 0.5 0.5 0.5))))
          (local.set $x (f32x4.sub (local.get $x) (f32x4.mul (local.get $fx) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
          (local.set $x (f32x4.sub (local.get $x) (f32x4.mul (local.get $fx) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
          (local.set $y (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
          (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
          (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
          (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
          (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
          (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
          (local.set $y (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $y) (local.get $x)) (local.get $x)) (local.get $x))
            (v128.const f32x4 1 1 1 1)))
          ;; times 2^n: (n + 127) << 23 is 2^n's float32 bit pattern (n >= -126 after the clamp)
          (local.set $y (f32x4.mul (local.get $y)
            (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $fx)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
          (v128.store (local.get $q) (local.get $y))
          (local.set $sum (f32x4.add (local.get $sum) (local.get $y)))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br $loopE)))
        ;; sums_u += e_u / sum
        (local.set $q (local.get $scratch))
        (local.set $p (local.get $sums))
        (block $doneA (loop $loopA
          (br_if $doneA (i32.ge_u (local.get $q) (local.get $end)))
          (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (f32x4.div (v128.load (local.get $q)) (local.get $sum))))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $loopA)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $loopT)))
      ;; abar[r + lane, u] = sums_u / T
      (local.set $v (f32x4.splat (f32.convert_i32_u (local.get $T))))
      (local.set $p (i32.add (local.get $abar) (i32.shl (i32.mul (local.get $r) (local.get $T)) (i32.const 2))))
      (local.set $q (local.get $sums))
      (local.set $u (i32.const 0))
      (block $doneW (loop $loopW
        (br_if $doneW (i32.ge_u (local.get $u) (local.get $T)))
        (local.set $x (f32x4.div (v128.load (local.get $q)) (local.get $v)))
        (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $x)))
        (f32.store (i32.add (local.get $p) (i32.shl (local.get $T) (i32.const 2))) (f32x4.extract_lane 1 (local.get $x)))
        (f32.store (i32.add (local.get $p) (i32.shl (local.get $T) (i32.const 3))) (f32x4.extract_lane 2 (local.get $x)))
        (f32.store (i32.add (local.get $p) (i32.mul (local.get $T) (i32.const 12))) (f32x4.extract_lane 3 (local.get $x)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $loopW)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $loopR))))

  ;; out[i, j] += sum_r x[r, i] * y[r, j]: X^T Y for long X [R, Cx] and Y [R, Cy] (the attention's weight
  ;; gradient X^T dY over R*T rows); Cx and Cy multiples of 4. XNNPACK's GEMM runs this shape
  ;; memory-bound (it packs the long operand and streams it once per tile of output rows: ~6 GFLOP/s for
  ;; [30720, 64]^T [30720, 64]); here rows go in chunks of 256 that stay in cache, each chunk visited by
  ;; every 4 x 8 tile of the output, whose 8 vector sums stay in registers (float32, as XNNPACK's).
  ;; `out` is added to (the caller zeroes it).
  (func (export "transposeProduct")
    (param $x i32) (param $y i32) (param $out i32) (param $R i32) (param $Cx i32) (param $Cy i32)
    (local $xb i32) (local $yb i32) (local $r0 i32) (local $r1 i32) (local $i i32) (local $j i32)
    (local $px i32) (local $py i32) (local $pEnd i32) (local $po i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $v0 v128) (local $v1 v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local.set $xb (i32.shl (local.get $Cx) (i32.const 2)))
    (local.set $yb (i32.shl (local.get $Cy) (i32.const 2)))
    (local.set $r0 (i32.const 0))
    (block $doneChunk (loop $loopChunk
      (br_if $doneChunk (i32.ge_u (local.get $r0) (local.get $R)))
      (local.set $r1 (i32.add (local.get $r0) (i32.const 256)))
      (if (i32.gt_u (local.get $r1) (local.get $R)) (then (local.set $r1 (local.get $R))))
      (local.set $i (i32.const 0))
      (block $doneI (loop $loopI
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $Cx)))
        (local.set $j (i32.const 0))
        ;; tiles of 4 x 8
        (block $doneJ (loop $loopJ
          (br_if $doneJ (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $Cy)))
          (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $Cy)) (local.get $j)) (i32.const 2))))
          (local.set $a00 (v128.load (local.get $po)))
          (local.set $a01 (v128.load offset=16 (local.get $po)))
          (local.set $a10 (v128.load (i32.add (local.get $po) (local.get $yb))))
          (local.set $a11 (v128.load offset=16 (i32.add (local.get $po) (local.get $yb))))
          (local.set $a20 (v128.load (i32.add (local.get $po) (i32.shl (local.get $yb) (i32.const 1)))))
          (local.set $a21 (v128.load offset=16 (i32.add (local.get $po) (i32.shl (local.get $yb) (i32.const 1)))))
          (local.set $a30 (v128.load (i32.add (local.get $po) (i32.mul (local.get $yb) (i32.const 3)))))
          (local.set $a31 (v128.load offset=16 (i32.add (local.get $po) (i32.mul (local.get $yb) (i32.const 3)))))
          (local.set $px (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $Cx)) (local.get $i)) (i32.const 2))))
          (local.set $py (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $Cy)) (local.get $j)) (i32.const 2))))
          (local.set $pEnd (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $r1) (local.get $Cx)) (local.get $i)) (i32.const 2))))
          (block $doneR (loop $loopR
            (br_if $doneR (i32.ge_u (local.get $px) (local.get $pEnd)))
            (local.set $v0 (v128.load (local.get $py)))
            (local.set $v1 (v128.load offset=16 (local.get $py)))
            (local.set $s0 (v128.load32_splat (local.get $px)))
            (local.set $s1 (v128.load32_splat offset=4 (local.get $px)))
            (local.set $s2 (v128.load32_splat offset=8 (local.get $px)))
            (local.set $s3 (v128.load32_splat offset=12 (local.get $px)))
            (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $s0) (local.get $v0))))
            (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $s0) (local.get $v1))))
            (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $s1) (local.get $v0))))
            (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $s1) (local.get $v1))))
            (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $s2) (local.get $v0))))
            (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $s2) (local.get $v1))))
            (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $s3) (local.get $v0))))
            (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $s3) (local.get $v1))))
            (local.set $px (i32.add (local.get $px) (local.get $xb)))
            (local.set $py (i32.add (local.get $py) (local.get $yb)))
            (br $loopR)))
          (v128.store (local.get $po) (local.get $a00))
          (v128.store offset=16 (local.get $po) (local.get $a01))
          (v128.store (i32.add (local.get $po) (local.get $yb)) (local.get $a10))
          (v128.store offset=16 (i32.add (local.get $po) (local.get $yb)) (local.get $a11))
          (v128.store (i32.add (local.get $po) (i32.shl (local.get $yb) (i32.const 1))) (local.get $a20))
          (v128.store offset=16 (i32.add (local.get $po) (i32.shl (local.get $yb) (i32.const 1))) (local.get $a21))
          (v128.store (i32.add (local.get $po) (i32.mul (local.get $yb) (i32.const 3))) (local.get $a30))
          (v128.store offset=16 (i32.add (local.get $po) (i32.mul (local.get $yb) (i32.const 3))) (local.get $a31))
          (local.set $j (i32.add (local.get $j) (i32.const 8)))
          (br $loopJ)))
        ;; a last 4 x 4 tile when Cy is not a multiple of 8
        (if (i32.lt_u (local.get $j) (local.get $Cy))
          (then
            (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $Cy)) (local.get $j)) (i32.const 2))))
            (local.set $a00 (v128.load (local.get $po)))
            (local.set $a10 (v128.load (i32.add (local.get $po) (local.get $yb))))
            (local.set $a20 (v128.load (i32.add (local.get $po) (i32.shl (local.get $yb) (i32.const 1)))))
            (local.set $a30 (v128.load (i32.add (local.get $po) (i32.mul (local.get $yb) (i32.const 3)))))
            (local.set $px (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $Cx)) (local.get $i)) (i32.const 2))))
            (local.set $py (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $Cy)) (local.get $j)) (i32.const 2))))
            (local.set $pEnd (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $r1) (local.get $Cx)) (local.get $i)) (i32.const 2))))
            (block $doneR4 (loop $loopR4
              (br_if $doneR4 (i32.ge_u (local.get $px) (local.get $pEnd)))
              (local.set $v0 (v128.load (local.get $py)))
              (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (v128.load32_splat (local.get $px)) (local.get $v0))))
              (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (v128.load32_splat offset=4 (local.get $px)) (local.get $v0))))
              (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (v128.load32_splat offset=8 (local.get $px)) (local.get $v0))))
              (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (v128.load32_splat offset=12 (local.get $px)) (local.get $v0))))
              (local.set $px (i32.add (local.get $px) (local.get $xb)))
              (local.set $py (i32.add (local.get $py) (local.get $yb)))
              (br $loopR4)))
            (v128.store (local.get $po) (local.get $a00))
            (v128.store (i32.add (local.get $po) (local.get $yb)) (local.get $a10))
            (v128.store (i32.add (local.get $po) (i32.shl (local.get $yb) (i32.const 1))) (local.get $a20))
            (v128.store (i32.add (local.get $po) (i32.mul (local.get $yb) (i32.const 3))) (local.get $a30))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $loopI)))
      (local.set $r0 (local.get $r1))
      (br $loopChunk))))
)
