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
)
