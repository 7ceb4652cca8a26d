;; The per-edge loops of GATv2's hand-written backward (../../manual/gatv2.ts gatBackward), in
;; WebAssembly SIMD: four float32 lanes at a time over one head's D features. Compiled by
;; scripts/build-wasm.ts into gat-wasm.ts (bytes, committed).
;;
;; Vectors are float32 (D values, D a multiple of 4, the caller checks) at byte offsets in this
;; module's memory; the attention-vector gradient accumulates in float64 (two lanes at a time), as the
;; JavaScript loops do.
(module
  (memory (export "memory") 1)

  ;; The message path of one edge: returns sum_d g[d] s[d] (dalpha), and ds[d] += a g[d].
  ;; g: the head's output gradient, s: the source's features, ds: their gradient.
  (func (export "messageGrad")
    (param $g i32) (param $s i32) (param $ds i32) (param $a f32) (param $D i32) (result f32)
    (local $end i32) (local $acc v128) (local $av v128) (local $gv v128)
    (local.set $end (i32.add (local.get $g) (i32.shl (local.get $D) (i32.const 2))))
    (local.set $av (f32x4.splat (local.get $a)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
      (local.set $gv (v128.load (local.get $g)))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $gv) (v128.load (local.get $s)))))
      (v128.store (local.get $ds) (f32x4.add (v128.load (local.get $ds)) (f32x4.mul (local.get $av) (local.get $gv))))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 16)))
      (local.set $ds (i32.add (local.get $ds) (i32.const 16)))
      (br $next)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; The score path of one edge, with z = s + t (source and target features), act = LeakyReLU(z):
  ;;   dAttn[d] += dScore act[d]   (float64 accumulators, dAttn holds D doubles)
  ;;   dz = dScore attn[d] LeakyReLU'(z[d]);  ds[d] += dz;  dt[d] += dz
  ;; LeakyReLU'(z) is 1 for z > 0 and the slope otherwise (z = 0 included, as gatBackward).
  (func (export "scoreGrad")
    (param $s i32) (param $t i32) (param $attn i32) (param $dAttn i32) (param $ds i32) (param $dt i32)
    (param $dScore f32) (param $slope f32) (param $D i32)
    (local $end i32) (local $z v128) (local $pos v128) (local $act v128) (local $dz v128)
    (local $g v128) (local $slopes v128) (local $ones v128) (local $scaled v128)
    (local.set $end (i32.add (local.get $s) (i32.shl (local.get $D) (i32.const 2))))
    (local.set $g (f32x4.splat (local.get $dScore)))
    (local.set $slopes (f32x4.splat (local.get $slope)))
    (local.set $ones (f32x4.splat (f32.const 1)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
      (local.set $z (f32x4.add (v128.load (local.get $s)) (v128.load (local.get $t))))
      (local.set $pos (f32x4.gt (local.get $z) (v128.const f32x4 0 0 0 0)))
      (local.set $act (v128.bitselect (local.get $z) (f32x4.mul (local.get $z) (local.get $slopes)) (local.get $pos)))
      ;; dAttn += dScore act, in float64: lanes 0-1, then 2-3
      (local.set $scaled (f32x4.mul (local.get $g) (local.get $act)))
      (v128.store (local.get $dAttn)
        (f64x2.add (v128.load (local.get $dAttn)) (f64x2.promote_low_f32x4 (local.get $scaled))))
      (v128.store offset=16 (local.get $dAttn)
        (f64x2.add (v128.load offset=16 (local.get $dAttn))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $scaled) (local.get $scaled)))))
      (local.set $dz (f32x4.mul (f32x4.mul (local.get $g) (v128.load (local.get $attn)))
        (v128.bitselect (local.get $ones) (local.get $slopes) (local.get $pos))))
      (v128.store (local.get $ds) (f32x4.add (v128.load (local.get $ds)) (local.get $dz)))
      (v128.store (local.get $dt) (f32x4.add (v128.load (local.get $dt)) (local.get $dz)))
      (local.set $s (i32.add (local.get $s) (i32.const 16)))
      (local.set $t (i32.add (local.get $t) (i32.const 16)))
      (local.set $attn (i32.add (local.get $attn) (i32.const 16)))
      (local.set $dAttn (i32.add (local.get $dAttn) (i32.const 32)))
      (local.set $ds (i32.add (local.get $ds) (i32.const 16)))
      (local.set $dt (i32.add (local.get $dt) (i32.const 16)))
      (br $next))))

  ;; Forward only (inference, ../../manual/gatv2.ts gatPredict). A target's in-edges are given as a list
  ;; of nIn i32 byte offsets of their source rows; a row holds H heads of D features.

  ;; out[h, k] = sum_d attn[h, d] LeakyReLU(src_k[h, d] + t[h, d]) for every head h and in-edge k:
  ;; the attention scores of one target row t (float32 sums in four lanes).
  (func (export "edgeScores")
    (param $list i32) (param $nIn i32) (param $t i32) (param $attn i32) (param $H i32) (param $D i32)
    (param $slope f32) (param $out i32)
    (local $db i32) (local $h i32) (local $k i32) (local $s i32) (local $tp i32) (local $ap i32) (local $end i32)
    (local $z v128) (local $acc v128) (local $slopes v128)
    (local.set $db (i32.shl (local.get $D) (i32.const 2)))
    (local.set $slopes (f32x4.splat (local.get $slope)))
    (local.set $h (i32.const 0))
    (block $doneH (loop $loopH
      (br_if $doneH (i32.ge_u (local.get $h) (local.get $H)))
      (local.set $k (i32.const 0))
      (block $doneK (loop $loopK
        (br_if $doneK (i32.ge_u (local.get $k) (local.get $nIn)))
        (local.set $s (i32.add (i32.load (i32.add (local.get $list) (i32.shl (local.get $k) (i32.const 2))))
          (i32.mul (local.get $h) (local.get $db))))
        (local.set $end (i32.add (local.get $s) (local.get $db)))
        (local.set $tp (i32.add (local.get $t) (i32.mul (local.get $h) (local.get $db))))
        (local.set $ap (i32.add (local.get $attn) (i32.mul (local.get $h) (local.get $db))))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (block $doneD (loop $loopD
          (br_if $doneD (i32.ge_u (local.get $s) (local.get $end)))
          (local.set $z (f32x4.add (v128.load (local.get $s)) (v128.load (local.get $tp))))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $ap))
            (v128.bitselect (local.get $z) (f32x4.mul (local.get $z) (local.get $slopes))
              (f32x4.gt (local.get $z) (v128.const f32x4 0 0 0 0))))))
          (local.set $s (i32.add (local.get $s) (i32.const 16)))
          (local.set $tp (i32.add (local.get $tp) (i32.const 16)))
          (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
          (br $loopD)))
        (f32.store (local.get $out) (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
          (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $loopK)))
      (local.set $h (i32.add (local.get $h) (i32.const 1)))
      (br $loopH))))

  ;; out[d] = combine over heads h of sum_k alpha[h, k] src_k[h, d]: the largest head ($mean 0) or the
  ;; heads' mean ($mean 1), then max(., 0) when $relu is not 0. Four vectors (16 features) per pass over
  ;; the in-edges (each alpha splat once feeds four products), then one vector at a time.
  (func (export "gatherHeads")
    (param $list i32) (param $nIn i32) (param $alpha i32) (param $H i32) (param $D i32)
    (param $mean i32) (param $relu i32) (param $out i32)
    (local $db i32) (local $col i32) (local $h i32) (local $k i32) (local $hOff i32) (local $pa i32) (local $s i32)
    (local $a v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $invH v128)
    (local.set $db (i32.shl (local.get $D) (i32.const 2)))
    (local.set $invH (f32x4.splat (f32.div (f32.const 1) (f32.convert_i32_u (local.get $H)))))
    (local.set $col (i32.const 0))
    (block $doneWide (loop $loopWide
      (br_if $doneWide (i32.gt_u (i32.add (local.get $col) (i32.const 64)) (local.get $db)))
      (local.set $h (i32.const 0))
      (local.set $pa (local.get $alpha))
      (block $doneH (loop $loopH
        (br_if $doneH (i32.ge_u (local.get $h) (local.get $H)))
        (local.set $hOff (i32.add (i32.mul (local.get $h) (local.get $db)) (local.get $col)))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $acc2 (v128.const i32x4 0 0 0 0))
        (local.set $acc3 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $doneK (loop $loopK
          (br_if $doneK (i32.ge_u (local.get $k) (local.get $nIn)))
          (local.set $a (v128.load32_splat (local.get $pa)))
          (local.set $s (i32.add (i32.load (i32.add (local.get $list) (i32.shl (local.get $k) (i32.const 2)))) (local.get $hOff)))
          (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $a) (v128.load (local.get $s)))))
          (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $a) (v128.load offset=16 (local.get $s)))))
          (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $a) (v128.load offset=32 (local.get $s)))))
          (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $a) (v128.load offset=48 (local.get $s)))))
          (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $loopK)))
        (if (i32.eqz (local.get $h))
          (then
            (local.set $b0 (local.get $acc0)) (local.set $b1 (local.get $acc1))
            (local.set $b2 (local.get $acc2)) (local.set $b3 (local.get $acc3)))
          (else (if (local.get $mean)
            (then
              (local.set $b0 (f32x4.add (local.get $b0) (local.get $acc0)))
              (local.set $b1 (f32x4.add (local.get $b1) (local.get $acc1)))
              (local.set $b2 (f32x4.add (local.get $b2) (local.get $acc2)))
              (local.set $b3 (f32x4.add (local.get $b3) (local.get $acc3))))
            (else
              (local.set $b0 (f32x4.max (local.get $b0) (local.get $acc0)))
              (local.set $b1 (f32x4.max (local.get $b1) (local.get $acc1)))
              (local.set $b2 (f32x4.max (local.get $b2) (local.get $acc2)))
              (local.set $b3 (f32x4.max (local.get $b3) (local.get $acc3)))))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $loopH)))
      (if (local.get $mean)
        (then
          (local.set $b0 (f32x4.mul (local.get $b0) (local.get $invH)))
          (local.set $b1 (f32x4.mul (local.get $b1) (local.get $invH)))
          (local.set $b2 (f32x4.mul (local.get $b2) (local.get $invH)))
          (local.set $b3 (f32x4.mul (local.get $b3) (local.get $invH)))))
      (if (local.get $relu)
        (then
          (local.set $b0 (f32x4.max (local.get $b0) (v128.const i32x4 0 0 0 0)))
          (local.set $b1 (f32x4.max (local.get $b1) (v128.const i32x4 0 0 0 0)))
          (local.set $b2 (f32x4.max (local.get $b2) (v128.const i32x4 0 0 0 0)))
          (local.set $b3 (f32x4.max (local.get $b3) (v128.const i32x4 0 0 0 0)))))
      (v128.store (local.get $out) (local.get $b0))
      (v128.store offset=16 (local.get $out) (local.get $b1))
      (v128.store offset=32 (local.get $out) (local.get $b2))
      (v128.store offset=48 (local.get $out) (local.get $b3))
      (local.set $out (i32.add (local.get $out) (i32.const 64)))
      (local.set $col (i32.add (local.get $col) (i32.const 64)))
      (br $loopWide)))
    ;; the remaining vectors one at a time
    (block $doneNarrow (loop $loopNarrow
      (br_if $doneNarrow (i32.ge_u (local.get $col) (local.get $db)))
      (local.set $h (i32.const 0))
      (local.set $pa (local.get $alpha))
      (block $doneH1 (loop $loopH1
        (br_if $doneH1 (i32.ge_u (local.get $h) (local.get $H)))
        (local.set $hOff (i32.add (i32.mul (local.get $h) (local.get $db)) (local.get $col)))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $doneK1 (loop $loopK1
          (br_if $doneK1 (i32.ge_u (local.get $k) (local.get $nIn)))
          (local.set $s (i32.add (i32.load (i32.add (local.get $list) (i32.shl (local.get $k) (i32.const 2)))) (local.get $hOff)))
          (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load32_splat (local.get $pa)) (v128.load (local.get $s)))))
          (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $loopK1)))
        (if (i32.eqz (local.get $h))
          (then (local.set $b0 (local.get $acc0)))
          (else (if (local.get $mean)
            (then (local.set $b0 (f32x4.add (local.get $b0) (local.get $acc0))))
            (else (local.set $b0 (f32x4.max (local.get $b0) (local.get $acc0)))))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $loopH1)))
      (if (local.get $mean) (then (local.set $b0 (f32x4.mul (local.get $b0) (local.get $invH)))))
      (if (local.get $relu) (then (local.set $b0 (f32x4.max (local.get $b0) (v128.const i32x4 0 0 0 0)))))
      (v128.store (local.get $out) (local.get $b0))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (local.set $col (i32.add (local.get $col) (i32.const 16)))
      (br $loopNarrow))))
)
