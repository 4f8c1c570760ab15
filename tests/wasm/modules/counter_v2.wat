;; counter_v2: the next version of counter.wat for reload tests: the same state (the global and the
;; u32 at 16) but each execute adds 10, and a metadata export says version 2.0.0.
;; counter (v1): state in a mutable global ($count) AND in memory (a u32 at address 16). Each execute
;; (input ignored) increments both and answers $count as a msgpack uint: a positive fixint when
;; < 128, else uint32 (0xce + 4 bytes big-endian). If the two disagree (one was carried across a
;; reload and not the other) it answers the error bit with "counter: global and memory disagree".
;; No lifecycle exports, no imports.
(module
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (data (i32.const 64) "counter: global and memory disagree")
  (data (i32.const 128) "{\"name\":\"counter\",\"version\":\"2.0.0\"}")
  (func (export "metadata") (result i64) (call $pack (i32.const 128) (i32.const 36)))
  ;; alloc: the input goes at 1024; grows the memory to hold it.
  (func (export "alloc") (param $n i32) (result i32)
    (local $need i32)
    (local.set $need (i32.shr_u (i32.add (local.get $n) (i32.const 66559)) (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $need) (memory.size))))))
    (i32.const 1024))
  (func $pack (param $p i32) (param $n i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
            (i64.extend_i32_u (local.get $n))))
  (func (export "execute") (param $p i32) (param $n i32) (result i64)
    (local $c i32)
    (local.set $c (i32.add (global.get $count) (i32.const 10)))
    (global.set $count (local.get $c))
    (i32.store (i32.const 16) (i32.add (i32.load (i32.const 16)) (i32.const 10)))
    (if (i32.ne (i32.load (i32.const 16)) (local.get $c))
      (then (return (call $pack (i32.const 64) (i32.or (i32.const 0x80000000) (i32.const 35))))))
    (if (i32.lt_u (local.get $c) (i32.const 128))
      (then
        (i32.store8 (i32.const 32) (local.get $c))
        (return (call $pack (i32.const 32) (i32.const 1)))))
    (i32.store8 (i32.const 32) (i32.const 0xce))
    (i32.store8 (i32.const 33) (i32.shr_u (local.get $c) (i32.const 24)))
    (i32.store8 (i32.const 34) (i32.shr_u (local.get $c) (i32.const 16)))
    (i32.store8 (i32.const 35) (i32.shr_u (local.get $c) (i32.const 8)))
    (i32.store8 (i32.const 36) (local.get $c))
    (call $pack (i32.const 32) (i32.const 5))))
