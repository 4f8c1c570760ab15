;; counter_snap: a counter whose state it saves and restores itself through the optional
;; snapshot/restore exports: the count (a u32 at address 16) as 4 little-endian bytes. Each
;; execute adds 1 and answers the count as a msgpack uint32 (0xce + 4 bytes big-endian).
(module
  (memory (export "memory") 1)
  (func $pack (param $p i32) (param $n i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
            (i64.extend_i32_u (local.get $n))))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "execute") (param i32 i32) (result i64)
    (local $c i32)
    (local.set $c (i32.add (i32.load (i32.const 16)) (i32.const 1)))
    (i32.store (i32.const 16) (local.get $c))
    (i32.store8 (i32.const 32) (i32.const 0xce))
    (i32.store8 (i32.const 33) (i32.shr_u (local.get $c) (i32.const 24)))
    (i32.store8 (i32.const 34) (i32.shr_u (local.get $c) (i32.const 16)))
    (i32.store8 (i32.const 35) (i32.shr_u (local.get $c) (i32.const 8)))
    (i32.store8 (i32.const 36) (local.get $c))
    (call $pack (i32.const 32) (i32.const 5)))
  (func (export "snapshot") (result i64) (call $pack (i32.const 16) (i32.const 4)))
  (func (export "restore") (param $p i32) (param $n i32) (result i32)
    (if (i32.ne (local.get $n) (i32.const 4)) (then (return (i32.const 1))))
    (i32.store (i32.const 16) (i32.load (local.get $p)))
    (i32.const 0)))
