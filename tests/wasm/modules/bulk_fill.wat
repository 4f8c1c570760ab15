;; bulk_fill: execute fills its whole 16 MiB memory with memory.fill in an endless loop: a few
;; instructions per iteration, each doing 16 MiB of work. The host charges bulk operations by
;; their length, so fuel and the wall-time limit still stop it.
(module
  (memory (export "memory") 256 256)
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "execute") (param i32 i32) (result i64)
    (loop $again
      (memory.fill (i32.const 0) (i32.const 0) (i32.const 16777216))
      (br $again))
    (i64.const 0)))
