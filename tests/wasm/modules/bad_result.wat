;; bad_result: a valid ABI, but execute answers a pointer/length beyond the memory (1 page,
;; 65536 bytes). The input's first byte selects the flavour:
;;   1 -> ptr 0xfffffff0, len 0x20 (ptr + len wraps around in 32 bits to 0x10)
;;   2 -> ptr 0, len 0x7fffffff
;;   anything else (or an empty input) -> ptr 65530, len 100 (runs 94 bytes past the end)
(module
  (memory (export "memory") 1 1)
  (func (export "alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "execute") (param $p i32) (param $n i32) (result i64)
    (local $sel i32)
    (if (local.get $n) (then (local.set $sel (i32.load8_u (local.get $p)))))
    (if (i32.eq (local.get $sel) (i32.const 1))
      (then (return (i64.const 0xfffffff000000020))))
    (if (i32.eq (local.get $sel) (i32.const 2))
      (then (return (i64.const 0x000000007fffffff))))
    (i64.const 0x0000fffa00000064)))
