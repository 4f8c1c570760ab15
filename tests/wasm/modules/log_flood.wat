;; log_flood: execute writes 1000 log lines through troupe.log (the host keeps the first 100 of a
;; call and counts the rest), then answers msgpack nil.
(module
  (import "troupe" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "flood")
  (data (i32.const 32) "\c0")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "execute") (param i32 i32) (result i64)
    (local $i i32)
    (loop $again
      (call $log (i32.const 1) (i32.const 16) (i32.const 5))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 1000))))
    (i64.or (i64.shl (i64.const 32) (i64.const 32)) (i64.const 1))))
