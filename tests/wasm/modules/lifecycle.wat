;; lifecycle: exports init, start and stop of type () -> () (each logs "lifecycle: <step>" at
;; info level via troupe.log) and metadata (a fixed JSON document); execute (input ignored)
;; answers msgpack true (0xc3).
(module
  (import "troupe" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "\c3")
  (data (i32.const 32) "lifecycle: init")    ;; 15 bytes
  (data (i32.const 48) "lifecycle: start")   ;; 16 bytes
  (data (i32.const 64) "lifecycle: stop")    ;; 15 bytes
  (data (i32.const 128)
    "{\"name\":\"lifecycle\",\"version\":\"0.1.0\","
    "\"description\":\"Lifecycle exports of type () -> ()\","
    "\"type\":\"test\",\"capabilities\":[],\"tools\":[]}")
  (func $pack (param $p i32) (param $n i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
            (i64.extend_i32_u (local.get $n))))
  (func (export "alloc") (param $n i32) (result i32)
    (local $need i32)
    (local.set $need (i32.shr_u (i32.add (local.get $n) (i32.const 66559)) (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $need) (memory.size))))))
    (i32.const 1024))
  (func (export "init") (call $log (i32.const 1) (i32.const 32) (i32.const 15)))
  (func (export "start") (call $log (i32.const 1) (i32.const 48) (i32.const 16)))
  (func (export "stop") (call $log (i32.const 1) (i32.const 64) (i32.const 15)))
  (func (export "metadata") (result i64) (call $pack (i32.const 128) (i32.const 132)))
  (func (export "execute") (param $p i32) (param $n i32) (result i64)
    (call $pack (i32.const 16) (i32.const 1))))
