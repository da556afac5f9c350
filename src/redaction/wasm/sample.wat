;; The redactor's hot loop in WebAssembly (decision 0330): `sample` is matcher.ts's `sample`, the same
;; samples, tests and pass lists. The memory's layout is
;; described in scan-wasm.ts (addresses appear here as load and store offsets). After a change, run
;; `node scripts/wasm-sample.mjs` to regenerate sample-bytes.ts (it says how to get wabt).
(module
  (import "env" "memory" (memory 1))
  ;; sample(from, last, stride, flags, shortAt, midAt, midShift, longAt, longShift) -> position after the
  ;; last sample. flags: 1 = the short tier has patterns, 2 = the mid tier has. The tiers' tables are at
  ;; shortAt, midAt and longAt (decision 0405). The pass counts are written at 8192.
  (func (export "sample")
    (param $j i32) (param $last i32) (param $stride i32) (param $flags i32)
    (param $shortAt i32) (param $midAt i32) (param $midShift i32) (param $longAt i32) (param $longShift i32)
    (result i32)
    (local $g i32) (local $b i32) (local $h i32) (local $m i32)
    (local $sc i32) (local $mc i32) (local $lc i32)
    (local $short i32) (local $mid i32)
    (local.set $short (i32.and (local.get $flags) (i32.const 1)))
    (local.set $mid (i32.and (local.get $flags) (i32.const 2)))
    (block $done
      (br_if $done (i32.gt_s (local.get $j) (local.get $last)))
      (loop $next
        ;; The 4 bytes at the sample (the block is at 16384).
        (local.set $g (i32.load offset=16384 align=1 (local.get $j)))
        (if (local.get $short)
          (then
            ;; offsets[bigram] (the short tier's table at shortAt): some short pattern holds the bigram.
            (if (i32.load8_u (i32.add (local.get $shortAt) (i32.and (local.get $g) (i32.const 0xffff))))
              (then
                (i32.store offset=49152 (i32.shl (local.get $sc) (i32.const 2)) (local.get $j))
                (local.set $sc (i32.add (local.get $sc) (i32.const 1)))))))
        (if (local.get $mid)
          (then
            ;; filterBits(g): FILTER_MASKS (at 0) by the top 11 bits of g * MIX; the word by g * GOLDEN.
            (local.set $m (i32.load offset=0
              (i32.shl (i32.shr_u (i32.mul (local.get $g) (i32.const -2048144777)) (i32.const 21)) (i32.const 2))))
            (if (i32.eq
                  (i32.and
                    (i32.load (i32.add (local.get $midAt)
                      (i32.shl (i32.shr_u (i32.mul (local.get $g) (i32.const -1640531535)) (local.get $midShift)) (i32.const 2))))
                    (local.get $m))
                  (local.get $m))
              (then
                (i32.store offset=114688 (i32.shl (local.get $mc) (i32.const 2)) (local.get $j))
                (local.set $mc (i32.add (local.get $mc) (i32.const 1)))))))
        ;; key8(g, the next 4 bytes), then the same test in the q = 8 filter.
        (local.set $b (i32.load offset=16388 align=1 (local.get $j)))
        (local.set $h (i32.xor (local.get $g)
          (i32.mul (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 15))) (i32.const 0x2c1b3c6d))))
        (local.set $m (i32.load offset=0
          (i32.shl (i32.shr_u (i32.mul (local.get $h) (i32.const -2048144777)) (i32.const 21)) (i32.const 2))))
        (if (i32.eq
              (i32.and
                (i32.load (i32.add (local.get $longAt)
                  (i32.shl (i32.shr_u (i32.mul (local.get $h) (i32.const -1640531535)) (local.get $longShift)) (i32.const 2))))
                (local.get $m))
              (local.get $m))
          (then
            (i32.store offset=180224 (i32.shl (local.get $lc) (i32.const 2)) (local.get $j))
            (local.set $lc (i32.add (local.get $lc) (i32.const 1)))))
        (local.set $j (i32.add (local.get $j) (local.get $stride)))
        (br_if $next (i32.le_s (local.get $j) (local.get $last)))))
    (i32.store offset=8192 (i32.const 0) (local.get $sc))
    (i32.store offset=8196 (i32.const 0) (local.get $mc))
    (i32.store offset=8200 (i32.const 0) (local.get $lc))
    (local.get $j)))
